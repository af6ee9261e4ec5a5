"""Text utilities: vocabulary, the word2vec input pipeline, evaluation of word
vectors and their export, subword tokenisation (`subword_tokenizer`) and
greedy/beam-search decoding with a state cache (`sequence_decoding`).

Import from the module, e.g. `from kerastoolkit.text.vocabulary import Vocabulary`.
"""
