"""Word2Vec on Multi30k English + tiny Shakespeare: similarity, analogies vs gensim."""

import dataclasses

from applications.config_checks import check_learning_rate, check_run_fields
from kerastoolkit.utils.argument_checks import (
    int_in_range,
    non_empty_string,
    number_in_range,
    one_of,
    positive_int,
    sequence_of,
)

ARCHITECTURES = ("skipgram", "cbow")


@dataclasses.dataclass
class Config:
    # "skipgram" or "cbow" (the same for our model and gensim's).
    architecture: str = "skipgram"
    # Size of the word vectors.
    embedding_dim: int = 100
    # Largest window radius; each centre word draws its own radius from 1..window.
    window: int = 5
    # Noise words per positive example.
    negatives: int = 5
    # Subsampling threshold of frequent words (0 turns subsampling off).
    sample: float = 1e-3
    # Power of the unigram noise distribution.
    ns_exponent: float = 0.75
    # Fewest occurrences of a word in the vocabulary.
    min_count: int = 5
    # Most words in the vocabulary (None: no limit).
    max_vocab: int | None = None
    # Passes over the corpus.
    epochs: int = 5
    # Starting learning rate, decayed linearly to `final_learning_rate` (gensim's
    # alpha and min_alpha).
    learning_rate: float = 0.025
    # Learning rate at the end of training.
    final_learning_rate: float = 1e-4
    # Sentences per training step of our model (the tf.data batch: about 24
    # skip-gram pairs per sentence here). Large steps cost less overhead.
    sentences_per_batch: int = 1024
    # Pairs per SGD update inside a step. An update is the sum of its per-pair
    # updates, so too many at once overshoot on frequent words (about 12,000
    # pairs per update diverged on this corpus; gensim updates after each pair).
    pairs_per_update: int = 1024
    # Worker threads of gensim (benchmarks/word2vec_vs_gensim.py also pins TF to it).
    workers: int = 2
    # Use only the first sentences of the corpus (None: all of it).
    max_sentences: int | None = None
    # Words whose nearest neighbours the report lists.
    neighbour_words: tuple[str, ...] = ("king", "dog", "water", "love", "street")
    # Most frequent words drawn in the 2-D projection plot.
    plot_words: int = 150
    # Random seed (weights, shuffling, subsampling, windows, negatives, gensim).
    seed: int = 0
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 0
    # Distribution strategy: default, mirrored (every local GPU), multi_worker
    # (machines in TF_CONFIG) or tpu. Batch sizes are global, split over replicas.
    strategy: str = "default"
    # Where vectors.txt, the projector folder, metrics, plots and the report go.
    output_dir: str = "runs/word2vec"
    # SavedModel base directory (versions 1, 2, ... inside).
    export_dir: str = "saved_models/word2vec"

    @classmethod
    def quick(cls):
        """The smallest run that learns: the whole corpus once, 50-d vectors;
        WordSim-353 Spearman and analogies far above random vectors, and near
        gensim's in the same run."""
        return cls(embedding_dim=50, epochs=1, plot_words=40)

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        one_of("architecture", self.architecture, ARCHITECTURES)
        positive_int("embedding_dim", self.embedding_dim)
        positive_int("window", self.window)
        positive_int("negatives", self.negatives)
        number_in_range("sample", self.sample, 0)
        number_in_range("ns_exponent", self.ns_exponent)
        positive_int("min_count", self.min_count)
        if self.max_vocab is not None:
            positive_int("max_vocab", self.max_vocab)
        positive_int("epochs", self.epochs)
        check_learning_rate("learning_rate", self.learning_rate)
        check_learning_rate("final_learning_rate", self.final_learning_rate)
        positive_int("sentences_per_batch", self.sentences_per_batch)
        positive_int("pairs_per_update", self.pairs_per_update)
        positive_int("workers", self.workers)
        if self.max_sentences is not None:
            positive_int("max_sentences", self.max_sentences)
        sequence_of(
            "neighbour_words", self.neighbour_words, non_empty_string, min_length=0
        )
        # The projection plot places words by their first two principal
        # components.
        int_in_range("plot_words", self.plot_words, 2)
