"""English-to-German translation on Multi30k: attention LSTM, Transformer, sacreBLEU."""

import dataclasses


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
