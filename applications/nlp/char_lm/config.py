"""Character language models on Tiny Shakespeare: LSTM and WaveNet, bits per char."""

import dataclasses


@dataclasses.dataclass
class Config:
    # Where Tiny Shakespeare is ("" = KERASTOOLKIT_DATA_DIR, then the cache).
    data_dir: str = ""
    # Use only the first N training characters (0 = all 1,003,854).
    train_chars: int = 0
    # Use only the first N validation and test characters (0 = all 55,770).
    eval_chars: int = 0
    # The bodies to train, in order: "lstm" and/or "wavenet".
    bodies: tuple[str, ...] = ("lstm", "wavenet")
    # Characters per training window (the loss covers every position).
    sequence_length: int = 100
    # Windows per mini-batch.
    batch_size: int = 64
    # Training steps (mini-batches) per body.
    steps: int = 1200
    # Steps between validation checks (one Keras "epoch").
    steps_per_epoch: int = 200
    # Validation checks without a better bits/char before stopping.
    patience: int = 2
    # Adam learning rate.
    learning_rate: float = 2e-3
    # Clip each gradient to this global norm (0 = no clipping).
    clipnorm: float = 1.0
    # LSTM body: size of the character embedding.
    embedding_dim: int = 64
    # LSTM body: units per LSTM layer.
    lstm_units: int = 256
    # LSTM body: stacked LSTM layers.
    lstm_layers: int = 1
    # WaveNet body: dilations, one causal convolution each (kernel size 2).
    wavenet_dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)
    # WaveNet body: residual (and embedding) channels.
    residual_channels: int = 64
    # WaveNet body: skip and output-head channels.
    skip_channels: int = 128
    # Prompt the samples continue.
    prompt: str = "ROMEO:"
    # Characters per sample.
    sample_length: int = 400
    # Sampling temperatures, one sample per body each.
    temperatures: tuple[float, ...] = (0.5, 1.0)
    # Random seed for weights, shuffling and sampling.
    seed: int = 0
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 2
    # Distribution strategy: default, mirrored (every local GPU), multi_worker
    # (machines in TF_CONFIG) or tpu. Batch sizes are global, split over replicas.
    strategy: str = "default"
    # Where metrics, samples, plots and the report go.
    output_dir: str = "runs/char_lm"
    # SavedModel base directory: one sub-directory per body, versions inside.
    export_dir: str = "saved_models/char_lm"

    @classmethod
    def quick(cls):
        """The smallest run that learns: 100,000 characters, small models, 150
        steps each; both bodies end more than a bit per character below a
        unigram model (seconds on a laptop)."""
        return cls(
            train_chars=100000,
            eval_chars=2000,
            sequence_length=64,
            batch_size=32,
            steps=150,
            steps_per_epoch=150,
            learning_rate=1e-2,
            embedding_dim=16,
            lstm_units=64,
            wavenet_dilations=(1, 2, 4, 8),
            residual_channels=32,
            skip_channels=64,
            sample_length=40,
            temperatures=(1.0,),
            verbose=0,
        )
