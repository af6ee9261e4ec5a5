"""Label-smoothed cross-entropy of token sequences, padding left out."""

import keras
from keras import ops

from kerastoolkit.utils.argument_checks import non_negative_int, rate


@keras.saving.register_keras_serializable(package="kerastoolkit")
class MaskedCrossentropy(keras.losses.Loss):
    """Label-smoothed cross-entropy averaged over the non-padding tokens.

    For integer targets `y` (padding `pad_id`) and logits over a vocabulary
    of `V` tokens, with the smoothed target q = (1 - eps) onehot(y) + eps / V:

        -sum_v q_v log p_v = (1 - eps) (-log p_y) + eps mean_v(-log p_v),
        loss = sum over tokens y != pad_id of that / count of tokens != pad_id.

    The loss is already the mean over the batch's real tokens (a scalar), so
    long and short sentences weigh each token alike; `sample_weight` is not
    supported.

    Args:
        pad_id: the target id of padding, left out of the mean.
        label_smoothing: `eps` in [0, 1); 0 gives the plain cross-entropy.
        name: the loss's name.
        reduction: as for any `keras.losses.Loss` (the value is a scalar, so
            every reduction but "none" returns it unchanged).
        dtype: the dtype of the loss computation (default: Keras' floatx).

    Call arguments:
        y_true: integer targets `(batch, length)`.
        y_pred: logits `(batch, length, vocabulary_size)`.

    Returns:
        A scalar: the mean (smoothed) negative log-likelihood per real token.

    Example:
        >>> model.compile(
        ...     optimizer="adam", loss=MaskedCrossentropy(pad_id=0, label_smoothing=0.1)
        ... )  # doctest: +SKIP

    References:
        Szegedy et al., "Rethinking the Inception Architecture for Computer
        Vision", CVPR 2016 (label smoothing); Vaswani et al., "Attention Is All
        You Need", NeurIPS 2017 (eps = 0.1 for translation).
    """

    def __init__(
        self,
        pad_id=0,
        label_smoothing=0.0,
        name="masked_crossentropy",
        reduction="sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.pad_id = non_negative_int("pad_id", pad_id)
        self.label_smoothing = rate("label_smoothing", label_smoothing)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        nll = -ops.squeeze(ops.take_along_axis(log_probs, y_true[..., None], -1), -1)
        per_token = nll
        if self.label_smoothing:
            smooth = -ops.mean(log_probs, axis=-1)
            per_token = (1.0 - self.label_smoothing) * nll + (
                self.label_smoothing * smooth
            )
        mask = ops.cast(ops.not_equal(y_true, self.pad_id), "float32")
        return ops.sum(per_token * mask) / ops.maximum(ops.sum(mask), 1.0)

    def get_config(self):
        config = super().get_config()
        # keras.losses.Loss leaves its dtype out of the config.
        config.update(
            pad_id=self.pad_id, label_smoothing=self.label_smoothing, dtype=self.dtype
        )
        return config
