"""Text utilities, all exported here.

- `Vocabulary`: word <-> index with frequency cut-offs.
- The word2vec input pipeline: `word2vec_dataset`, `alias_table`,
  `steps_per_epoch`; word vectors on disk: `save_word2vec_format`,
  `load_word2vec_format`, `save_projector`.
- Evaluation of word vectors (SciPy, imported on first use):
  `read_word_pairs`, `word_pair_similarity`, `read_analogies`,
  `analogy_accuracy`, `nearest_neighbours`.
- `SubwordTokenizer`: WordPiece in the graph (KerasHub, imported on first use).
- Decoding with a state cache: `greedy_search`, `beam_search`,
  `length_penalty_factor`, `translate_ids`.
"""

from kerastoolkit.text.sequence_decoding import (
    beam_search,
    greedy_search,
    length_penalty_factor,
    translate_ids,
)
from kerastoolkit.text.vocabulary import Vocabulary
from kerastoolkit.text.word2vec_dataset import (
    alias_table,
    steps_per_epoch,
    word2vec_dataset,
)
from kerastoolkit.text.word_vectors_io import (
    load_word2vec_format,
    save_projector,
    save_word2vec_format,
)
from kerastoolkit.utils.lazy_imports import lazy_attributes, register_lazily

_EVALUATION = "kerastoolkit.text.embedding_evaluation"
_LAZY = {
    "SubwordTokenizer": "kerastoolkit.text.subword_tokenizer",
    "analogy_accuracy": _EVALUATION,
    "nearest_neighbours": _EVALUATION,
    "read_analogies": _EVALUATION,
    "read_word_pairs": _EVALUATION,
    "word_pair_similarity": _EVALUATION,
}
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
register_lazily("SubwordTokenizer", _LAZY["SubwordTokenizer"])

__all__ = [
    "SubwordTokenizer",
    "Vocabulary",
    "alias_table",
    "analogy_accuracy",
    "beam_search",
    "greedy_search",
    "length_penalty_factor",
    "load_word2vec_format",
    "nearest_neighbours",
    "read_analogies",
    "read_word_pairs",
    "save_projector",
    "save_word2vec_format",
    "steps_per_epoch",
    "translate_ids",
    "word2vec_dataset",
    "word_pair_similarity",
]
