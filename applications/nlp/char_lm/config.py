"""Character language models on Tiny Shakespeare: LSTM and WaveNet, bits per char."""

import dataclasses

from applications.config_checks import check_learning_rate, check_run_fields
from kerastoolkit.models.char_language_model import BODIES
from kerastoolkit.utils.argument_checks import (
    non_negative_int,
    number_in_range,
    one_of,
    positive_int,
    sequence_of,
)


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

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        positive_int("sequence_length", self.sequence_length)
        # A cut text must still hold one window and its next character.
        for name in ("train_chars", "eval_chars"):
            value = non_negative_int(name, getattr(self, name))
            if value and value <= self.sequence_length:
                raise ValueError(
                    f"`{name}` must be 0 (all) or more than `sequence_length`="
                    f"{self.sequence_length}, got {value!r}."
                )
        sequence_of(
            "bodies",
            self.bodies,
            lambda name, value: one_of(name, value, BODIES),
            unique=True,
        )
        positive_int("batch_size", self.batch_size)
        positive_int("steps", self.steps)
        positive_int("steps_per_epoch", self.steps_per_epoch)
        non_negative_int("patience", self.patience)
        check_learning_rate("learning_rate", self.learning_rate)
        number_in_range("clipnorm", self.clipnorm, 0)
        positive_int("embedding_dim", self.embedding_dim)
        positive_int("lstm_units", self.lstm_units)
        positive_int("lstm_layers", self.lstm_layers)
        sequence_of("wavenet_dilations", self.wavenet_dilations, positive_int)
        positive_int("residual_channels", self.residual_channels)
        positive_int("skip_channels", self.skip_channels)
        if not isinstance(self.prompt, str) or not self.prompt:
            raise ValueError(
                f"`prompt` must be a non-empty string, got {self.prompt!r}."
            )
        positive_int("sample_length", self.sample_length)
        sequence_of(
            "temperatures",
            self.temperatures,
            lambda name, value: number_in_range(name, value, 0, low_open=True),
        )
