"""A cosine learning-rate decay by steps, optionally ended by a wall-clock deadline."""

import math
import time

import keras

from kerastoolkit.utils.argument_checks import (
    non_negative_number,
    positive_int,
)


class CosineToDeadline(keras.callbacks.Callback):
    """Cosine learning-rate decay over the run, finished early if time runs out.

        lr = peak * (1 + cos(pi * p)) / 2,
        p  = max(step / total_steps, elapsed / budget)

    With time to spare, `p` counts steps: the usual cosine schedule, and a
    reproducible run. When the time budget binds (a slow or busy machine),
    `p` follows the clock, so the rate still decays to about zero by the
    deadline instead of stopping at a high rate. Training stops before an
    epoch that would end past the budget (estimated by the slowest epoch).

    Without `minutes` (the default) it is the plain cosine decay over
    `total_steps`: the run's length is then defined by steps, and is the same
    on a fast and a slow machine. A deadline is for interactive use only.

    After `fit`, `stopped_early` says whether the budget ended training, and
    `clock_bound` whether the clock ever led the step count.

    Args:
        peak: the learning rate at the start (0 switches learning off, to
            check that a run's learning guards fail without it).
        total_steps: the steps of the whole run (epochs * steps per epoch).
        minutes: an optional time budget of training, validation included
            (None or 0: none, the schedule follows the steps alone).

    Example:
        >>> schedule = CosineToDeadline(1e-3, total_steps=10 * 422, minutes=30)
        >>> model.fit(x, y, epochs=10, callbacks=[schedule])  # doctest: +SKIP
    """

    def __init__(self, peak, total_steps, minutes=None):
        super().__init__()
        self.peak = non_negative_number("peak", peak)
        self.total_steps = positive_int("total_steps", total_steps)
        minutes = non_negative_number("minutes", minutes or 0.0)
        self.seconds = 60.0 * minutes if minutes else math.inf
        self.stopped_early = False
        self.clock_bound = False

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        self._slowest = 0.0
        self._step = 0

    def on_train_batch_begin(self, batch, logs=None):
        by_steps = self._step / self.total_steps
        by_clock = (time.perf_counter() - self._start) / self.seconds
        if self._step and by_clock > by_steps:
            self.clock_bound = True
        progress = min(1.0, max(by_steps, by_clock))
        self.model.optimizer.learning_rate = (
            self.peak * 0.5 * (1.0 + math.cos(math.pi * progress))
        )

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self._slowest = max(self._slowest, now - self._epoch_start)
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        if now - self._start + self._slowest > self.seconds:
            self.stopped_early = True
            self.model.stop_training = True
