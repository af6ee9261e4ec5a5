"""Text utilities for word embeddings: vocabulary, the word2vec input pipeline,
evaluation of word vectors and their export.

Import from the module, e.g. `from kerastoolkit.text.vocabulary import Vocabulary`.
"""
