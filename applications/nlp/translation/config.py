"""English-to-German translation on Multi30k: attention LSTM, Transformer, sacreBLEU."""

import dataclasses

from applications.config_checks import (
    check_learning_rate,
    check_run_fields,
    check_subset_size,
)
from kerastoolkit.datasets import multi30k
from kerastoolkit.models.seq2seq_translator import ATTENTIONS
from kerastoolkit.utils.argument_checks import (
    non_negative_int,
    number_in_range,
    one_of,
    positive_int,
    rate,
)

# The models `models` may name (the demo's train.MODELS).
MODELS = ("transformer", "seq2seq")


@dataclasses.dataclass
class Config:
    # Where Multi30k is ("" = KERASTOOLKIT_DATA_DIR, then the per-user cache).
    data_dir: str = ""
    # Use only the first N training pairs (0 = all 29,000).
    train_size: int = 0
    # Score only the first N test2016 pairs (0 = all 1,000).
    test_size: int = 0
    # Validation loss on only the first N validation pairs (0 = all 1,014).
    val_size: int = 0
    # Which models to train, comma-separated: "transformer", "seq2seq".
    models: str = "transformer,seq2seq"
    # Size of the WordPiece vocabulary shared by English and German (training
    # split only).
    vocabulary_size: int = 8000
    # Sentences are cut to this many subword tokens (99% are shorter).
    max_tokens: int = 40
    # Sentences per training batch (batches are bucketed by target length).
    batch_size: int = 128
    # Transformer: encoder and decoder layers (each).
    num_layers: int = 3
    # Transformer: model width d_model.
    hidden_dim: int = 256
    # Transformer: attention heads.
    num_heads: int = 4
    # Transformer: feed-forward width.
    intermediate_dim: int = 512
    # Transformer: dropout rate.
    dropout: float = 0.1
    # Label smoothing of the Transformer's cross-entropy.
    label_smoothing: float = 0.1
    # Transformer: warm-up steps of the inverse-square-root schedule.
    warmup_steps: int = 1000
    # Transformer: factor on the schedule (peak = scale / sqrt(d_model * warmup)).
    learning_rate_scale: float = 0.5
    # Transformer: most epochs (early stopping may end sooner; the default run
    # stopped after 22, in 69 minutes on an idle 2-core machine).
    epochs: int = 30
    # Transformer: an optional wall-clock cap in minutes (0 = none, the
    # default: training length is set in epochs, the same on every machine).
    train_minutes: float = 0.0
    # Seq2seq: embedding size of source and target tokens.
    seq2seq_embedding_dim: int = 256
    # Seq2seq: LSTM units (each encoder direction, and the decoder).
    seq2seq_units: int = 256
    # Seq2seq: "additive" (Bahdanau) or "multiplicative" (Luong) attention.
    seq2seq_attention: str = "multiplicative"
    # Seq2seq: dropout rate.
    seq2seq_dropout: float = 0.2
    # Seq2seq: Adam learning rate.
    seq2seq_learning_rate: float = 2e-3
    # Seq2seq: most epochs (14 took 30 minutes on an idle 2-core machine).
    seq2seq_epochs: int = 14
    # Seq2seq: an optional wall-clock cap in minutes (0 = none, the default).
    seq2seq_train_minutes: float = 0.0
    # Epochs without validation-loss improvement before stopping.
    patience: int = 3
    # Beam-search width.
    beam_size: int = 4
    # Beam-search length penalty alpha, lp = ((5 + |Y|) / 6)^alpha.
    length_penalty: float = 0.6
    # Most target tokens generated for a sentence.
    max_decode_length: int = 48
    # How many test translations the example table shows.
    num_examples: int = 12
    # Random seed for weights, shuffling and dropout.
    seed: int = 0
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 2
    # Distribution strategy: default, mirrored (every local GPU), multi_worker
    # (machines in TF_CONFIG) or tpu. Batch sizes are global, split over replicas.
    strategy: str = "default"
    # Where metrics, the BLEU table, translations, figures and the report go.
    output_dir: str = "runs/translation"
    # SavedModel base directory: transformer/ and seq2seq/ inside, versions 1, 2, ...
    export_dir: str = "saved_models/translation"

    @classmethod
    def quick(cls):
        """The smallest run that shows the Transformer translating, in about 1 min.

        A one-layer Transformer of width 64 on the first 8,000 training pairs
        and an 800-token vocabulary, five epochs of batches of 128 (about 45
        CPU seconds) at a high peak learning rate; scored on the first 100
        test2016 sentences, where it reaches 8-9 BLEU against 0.18 for copying
        the English source. The attention LSTM only runs its pipeline here
        (one epoch of a 16-unit model, for its export): it needs minutes more
        to translate. Training length is in epochs, never a clock.
        """
        return cls(
            train_size=8000,
            test_size=100,
            val_size=200,
            vocabulary_size=800,
            max_tokens=20,
            batch_size=128,
            num_layers=1,
            hidden_dim=64,
            num_heads=4,
            intermediate_dim=128,
            warmup_steps=100,
            epochs=5,
            seq2seq_embedding_dim=16,
            seq2seq_units=16,
            seq2seq_epochs=1,
            beam_size=2,
            max_decode_length=24,
            num_examples=3,
        )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        check_subset_size(
            "train_size",
            self.train_size,
            multi30k.SPLIT_SIZES["train"],
            "the Multi30k training pairs",
        )
        check_subset_size(
            "test_size",
            self.test_size,
            multi30k.SPLIT_SIZES["test"],
            "the test2016 pairs",
        )
        if not isinstance(self.models, str):
            raise ValueError(f"`models` must be a string, got {self.models!r}.")
        names = [name.strip() for name in self.models.split(",") if name.strip()]
        if not names or set(names) - set(MODELS) or len(set(names)) < len(names):
            raise ValueError(
                f"`models` must name some of {', '.join(MODELS)}, comma-separated, "
                f"each once, got {self.models!r}."
            )
        positive_int("vocabulary_size", self.vocabulary_size)
        positive_int("max_tokens", self.max_tokens)
        positive_int("batch_size", self.batch_size)
        positive_int("num_layers", self.num_layers)
        positive_int("num_heads", self.num_heads)
        positive_int("hidden_dim", self.hidden_dim)
        if self.hidden_dim % self.num_heads:
            raise ValueError(
                f"`hidden_dim` must be divisible by `num_heads`={self.num_heads}, "
                f"got {self.hidden_dim!r}."
            )
        positive_int("intermediate_dim", self.intermediate_dim)
        rate("dropout", self.dropout)
        rate("label_smoothing", self.label_smoothing)
        positive_int("warmup_steps", self.warmup_steps)
        check_learning_rate("learning_rate_scale", self.learning_rate_scale)
        positive_int("epochs", self.epochs)
        number_in_range("train_minutes", self.train_minutes, 0)
        positive_int("seq2seq_embedding_dim", self.seq2seq_embedding_dim)
        positive_int("seq2seq_units", self.seq2seq_units)
        one_of("seq2seq_attention", self.seq2seq_attention, ATTENTIONS)
        rate("seq2seq_dropout", self.seq2seq_dropout)
        check_learning_rate("seq2seq_learning_rate", self.seq2seq_learning_rate)
        positive_int("seq2seq_epochs", self.seq2seq_epochs)
        number_in_range("seq2seq_train_minutes", self.seq2seq_train_minutes, 0)
        non_negative_int("patience", self.patience)
        positive_int("beam_size", self.beam_size)
        number_in_range("length_penalty", self.length_penalty, 0)
        positive_int("max_decode_length", self.max_decode_length)
        non_negative_int("num_examples", self.num_examples)
