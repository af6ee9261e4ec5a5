"""Warm-up learning-rate schedules for Transformer training and fine-tuning."""

import keras
from keras import ops

from kerastoolkit.utils.argument_checks import positive_int, positive_number


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LinearWarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to a peak, then linear decay to `end_learning_rate`.

    lr(t) = peak * t / warmup_steps                          for t < warmup_steps
    lr(t) = end + (peak - end) * (total - t) / (total - warmup_steps)  after,
    held at `end_learning_rate` from `total_steps` on. This is the BERT/RoBERTa
    fine-tuning schedule (and the linear decay of word2vec when warmup_steps=1).

    Args:
        peak_learning_rate: the rate reached at the end of the warm-up.
        warmup_steps: optimizer steps of the warm-up (>= 1).
        total_steps: optimizer steps of the whole run (> warmup_steps).
        end_learning_rate: the rate at and after `total_steps` (default 0).

    Example:
        >>> schedule = LinearWarmupDecay(2e-5, warmup_steps=100, total_steps=1000)
        >>> optimizer = keras.optimizers.AdamW(learning_rate=schedule)

    References:
        Liu et al., RoBERTa: A Robustly Optimized BERT Pretraining Approach, 2019.
    """

    def __init__(
        self, peak_learning_rate, warmup_steps, total_steps, end_learning_rate=0.0
    ):
        positive_number("peak_learning_rate", peak_learning_rate)
        positive_int("warmup_steps", warmup_steps)
        positive_int("total_steps", total_steps)
        if total_steps <= warmup_steps:
            raise ValueError(
                "`total_steps` must be larger than `warmup_steps`, got "
                f"total_steps={total_steps}, warmup_steps={warmup_steps}."
            )
        if not 0 <= end_learning_rate <= peak_learning_rate:
            raise ValueError(
                "`end_learning_rate` must be in [0, peak_learning_rate], got "
                f"{end_learning_rate!r}."
            )
        self.peak_learning_rate = float(peak_learning_rate)
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.end_learning_rate = float(end_learning_rate)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        peak, end = self.peak_learning_rate, self.end_learning_rate
        warmup = peak * step / self.warmup_steps
        remaining = (self.total_steps - step) / (self.total_steps - self.warmup_steps)
        decay = end + (peak - end) * ops.clip(remaining, 0.0, 1.0)
        return ops.where(step < self.warmup_steps, warmup, decay)

    def get_config(self):
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "warmup_steps": self.warmup_steps,
            "total_steps": self.total_steps,
            "end_learning_rate": self.end_learning_rate,
        }


@keras.saving.register_keras_serializable(package="kerastoolkit")
class InverseSqrtWarmup(keras.optimizers.schedules.LearningRateSchedule):
    """The Transformer schedule: linear warm-up, then decay as 1/sqrt(step).

    lr(t) = scale * d_model^-0.5 * min((t+1)^-0.5, (t+1) * warmup_steps^-1.5),
    which peaks at t + 1 = warmup_steps.

    Args:
        d_model: the model width (sets the peak with `scale`).
        warmup_steps: optimizer steps until the peak (>= 1).
        scale: a factor on the whole schedule (1.0 in the paper).

    Example:
        >>> schedule = InverseSqrtWarmup(d_model=256, warmup_steps=4000)

    References:
        Vaswani et al., Attention Is All You Need, 2017, section 5.3.
    """

    def __init__(self, d_model, warmup_steps=4000, scale=1.0):
        positive_int("d_model", d_model)
        positive_int("warmup_steps", warmup_steps)
        positive_number("scale", scale)
        self.d_model = d_model
        self.warmup_steps = warmup_steps
        self.scale = float(scale)

    def __call__(self, step):
        step = ops.cast(step, "float32") + 1.0
        factor = ops.minimum(ops.rsqrt(step), step * self.warmup_steps**-1.5)
        return self.scale * self.d_model**-0.5 * factor

    def get_config(self):
        return {
            "d_model": self.d_model,
            "warmup_steps": self.warmup_steps,
            "scale": self.scale,
        }
