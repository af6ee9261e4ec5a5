"""AdamW with a learning-rate multiplier per variable (layer-wise decay).

With Adam the learning rate must be scaled, not the gradient: Adam's update
`m_hat / (sqrt(v_hat) + eps)` does not change when a gradient is multiplied by
a constant, so gradient scaling would do nothing. `LayerwiseAdamW` scales the
rate per variable, for both the Adam step and the decoupled weight decay
(`w -= lr * multiplier * wd * w`), as per-parameter-group rates do in PyTorch.
`kerastoolkit.transfer.roberta.fine_tuning` uses it for layer-wise
learning-rate decay; any model can.

References:
    Loshchilov and Hutter, Decoupled Weight Decay Regularization, 2019.
"""

import keras

NO_DECAY_NAMES = ("bias", "gamma", "beta")
"""Variables whose names contain these get no weight decay (biases, LayerNorm)."""


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LayerwiseAdamW(keras.optimizers.AdamW):
    """AdamW whose learning rate is multiplied per variable.

    For a variable with multiplier `m` (1 when it has none), one step is

        w <- w - lr(t) * m * wd * w                (decoupled weight decay)
        w <- Adam(w, g; learning rate lr(t) * m)

    which is exactly `AdamW(learning_rate=lr * m)` applied to that variable.

    Args:
        learning_rate: a float or a `LearningRateSchedule`.
        learning_rate_multipliers: a dict from variable path (`variable.path`,
            e.g. `"transformer_layer_0/self_attention_layer/query/kernel"`)
            to a positive factor on the learning rate; paths not listed get 1.
        no_decay_names: variables whose name contains one of these get no
            weight decay.
        weight_decay: the decoupled weight decay factor.
        **kwargs: the other `keras.optimizers.AdamW` arguments (`beta_1`,
            `beta_2`, `epsilon`, `clipnorm`, ...).

    Example:

    >>> multipliers = layerwise_learning_rate_multipliers(classifier, 0.8)
    >>> optimizer = LayerwiseAdamW(LinearWarmupDecay(2e-5, 60, 1000), multipliers)

    References:
        Loshchilov and Hutter, Decoupled Weight Decay Regularization, 2019.
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_multipliers=None,
        no_decay_names=NO_DECAY_NAMES,
        weight_decay=0.004,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, **kwargs
        )
        multipliers = dict(learning_rate_multipliers or {})
        for path, factor in multipliers.items():
            if (
                not isinstance(factor, (int, float))
                or isinstance(factor, bool)
                or not factor > 0
            ):
                raise ValueError(
                    "`learning_rate_multipliers` values must be positive numbers, "
                    f"got {factor!r} for {path!r}."
                )
        if isinstance(no_decay_names, str) or not all(
            isinstance(name, str) for name in no_decay_names
        ):
            raise ValueError(
                "`no_decay_names` must be a sequence of strings, got "
                f"{no_decay_names!r}."
            )
        self.learning_rate_multipliers = {k: float(v) for k, v in multipliers.items()}
        self.no_decay_names = tuple(no_decay_names)
        if self.no_decay_names:
            self.exclude_from_weight_decay(var_names=list(self.no_decay_names))

    def build(self, var_list):
        super().build(var_list)
        self._multiplier_by_key = {}
        self._decays_by_key = {}
        for variable in var_list:
            key = self._var_key(variable)
            self._multiplier_by_key[key] = self.learning_rate_multipliers.get(
                variable.path, 1.0
            )
            self._decays_by_key[key] = bool(
                self.weight_decay is not None and self._use_weight_decay(variable)
            )

    def _apply_weight_decay(self, variables):
        # Applied in `update_step` instead, at each variable's own rate.
        return

    def update_step(self, gradient, variable, learning_rate):
        key = self._var_key(variable)
        multiplier = self._multiplier_by_key.get(key, 1.0)
        learning_rate = keras.ops.cast(learning_rate, variable.dtype) * multiplier
        if self._decays_by_key.get(key, False):
            decay = keras.ops.cast(self.weight_decay, variable.dtype)
            variable.assign(variable - variable * decay * learning_rate)
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        config = super().get_config()
        config["learning_rate_multipliers"] = dict(self.learning_rate_multipliers)
        config["no_decay_names"] = list(self.no_decay_names)
        return config
