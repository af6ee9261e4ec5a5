"""Yearly sunspots: one-step test MSE of AR(k), WaveNet and an LSTM, last 35 years."""

import dataclasses

from applications.config_checks import check_learning_rate, check_run_fields
from kerastoolkit.datasets import sunspots
from kerastoolkit.utils.argument_checks import (
    non_negative_int,
    one_of,
    positive_int,
    sequence_of,
)

YULE_WALKER_METHODS = ("mle", "unbiased")
WAVENET_LOSSES = ("squared_error", "nll")


@dataclasses.dataclass
class Config:
    # Years held out at the end of the series for the test (35: 1974-2008).
    test_years: int = 35
    # Largest AR order the AIC chooses among (0..max_order).
    max_order: int = 20
    # The fixed AR order compared with the AIC's choice (9, as in the literature).
    fixed_order: int = 9
    # Yule-Walker autocovariances: "mle" (divide by n) or "unbiased" (by n - j).
    yule_walker_method: str = "mle"
    # Last training years held out for early stopping of the neural models.
    validation_years: int = 30
    # Years of context in each training window of the neural models.
    window: int = 40
    # Dilations of the WaveNet's causal convolutions (kernel size 2).
    wavenet_dilations: tuple[int, ...] = (1, 2, 4, 8)
    # Residual and skip channels of the WaveNet.
    wavenet_channels: int = 8
    # WaveNet loss: "squared_error" of its mean (a constant-variance Gaussian,
    # as AR(k)) or "nll" (its learned per-step scale too, which overfits the
    # ~200 training windows within a few epochs).
    wavenet_loss: str = "squared_error"
    # Units of the small LSTM.
    lstm_units: int = 16
    # Adam learning rate (both neural models).
    learning_rate: float = 3e-3
    # Mini-batch size (windows).
    batch_size: int = 32
    # Maximum number of epochs per neural model (early stopping usually ends sooner).
    epochs: int = 400
    # Epochs without a better validation loss before stopping (best weights kept).
    patience: int = 40
    # Random seed for weights and shuffling.
    seed: int = 0
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 0
    # Distribution strategy: default, mirrored (every local GPU), multi_worker
    # (machines in TF_CONFIG) or tpu. Batch sizes are global, split over replicas.
    strategy: str = "default"
    # Where metrics, predictions, plots and the report go.
    output_dir: str = "runs/sunspots"
    # SavedModel base directory of the AR forecaster (versions 1, 2, ... inside).
    export_dir: str = "saved_models/sunspots"

    @classmethod
    def quick(cls):
        """The smallest run that learns: small neural models on 20-year windows,
        ten epochs at a higher learning rate; every model forecasts the test
        years about three times better than persistence (its MSE a third)."""
        return cls(
            window=20,
            wavenet_channels=8,
            lstm_units=8,
            learning_rate=1e-2,
            epochs=10,
            patience=10,
            verbose=0,
        )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field and that the series has room for the split.

        Raises:
            ValueError: naming the first bad field, its value and what is
                allowed.
        """
        check_run_fields(self)
        positive_int("test_years", self.test_years)
        non_negative_int("max_order", self.max_order)
        positive_int("fixed_order", self.fixed_order)
        one_of("yule_walker_method", self.yule_walker_method, YULE_WALKER_METHODS)
        positive_int("validation_years", self.validation_years)
        positive_int("window", self.window)
        sequence_of("wavenet_dilations", self.wavenet_dilations, positive_int)
        positive_int("wavenet_channels", self.wavenet_channels)
        one_of("wavenet_loss", self.wavenet_loss, WAVENET_LOSSES)
        positive_int("lstm_units", self.lstm_units)
        check_learning_rate("learning_rate", self.learning_rate)
        positive_int("batch_size", self.batch_size)
        positive_int("epochs", self.epochs)
        non_negative_int("patience", self.patience)
        # The years before the test period train every model: the neural
        # models need `window` years of context before each of their fit and
        # validation targets, the AR fits need more values than their order.
        needs = {
            "`window` + `validation_years` + 1": (
                self.window + self.validation_years + 1
            ),
            "`max_order` + 2": self.max_order + 2,
            "`fixed_order` + 1": self.fixed_order + 1,
        }
        reason, training = max(needs.items(), key=lambda item: item[1])
        most = sunspots.NUM_YEARS - training
        if most < 1:
            raise ValueError(
                f"{reason} must leave at least one of the {sunspots.NUM_YEARS} "
                f"years (1700-2008) for the test, got {training}."
            )
        if self.test_years > most:
            raise ValueError(
                f"`test_years` must be from 1 to {most}: the series has "
                f"{sunspots.NUM_YEARS} years (1700-2008) and training needs "
                f"{training} ({reason}), got {self.test_years!r}."
            )
