"""A callback that stops `fit` once a wall-clock budget is spent."""

import time

import keras

from kerastoolkit.utils.argument_checks import non_negative_number


class TimeBudget(keras.callbacks.Callback):
    """Stops `fit` at the end of the batch that exceeds `minutes` of training.

    The clock starts at `on_train_begin`, so validation and callbacks count.
    After `fit`, `stopped_early` says whether the budget ended training.

    Args:
        minutes: the training budget in minutes; 0 means no budget.

    Example:
        >>> budget = TimeBudget(minutes=30)
        >>> model.fit(dataset, epochs=100, callbacks=[budget])  # doctest: +SKIP
        >>> budget.stopped_early  # doctest: +SKIP
    """

    def __init__(self, minutes):
        super().__init__()
        self.minutes = non_negative_number("minutes", minutes)
        self.stopped_early = False

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.minutes and time.perf_counter() - self.start > 60 * self.minutes:
            self.stopped_early = True
            self.model.stop_training = True
