"""SimCLR: contrastive pretraining of an encoder on unlabelled images, by the
NT-Xent loss between two augmented views of each image."""

import keras
import tensorflow as tf
from keras import ops

from kerastoolkit.models.submodel_config import serialize_submodel
from kerastoolkit.utils.argument_checks import positive_number


def nt_xent_loss(z1, z2, temperature=0.1):
    """The normalised temperature-scaled cross-entropy of SimCLR (NT-Xent).

    For N pairs of views, with u = the 2N rows of `[z1; z2]` scaled to unit
    length and s(i, j) = u_i . u_j / temperature, each anchor i's positive
    p(i) is the other view of its image and the loss is

        l(i) = -s(i, p(i)) + log sum_{k != i} exp s(i, k)
        loss = mean over the 2N anchors of l(i)

    the cross-entropy of picking the positive among the 2N - 1 other views.

    Args:
        z1: `(N, d)` projections of the first views.
        z2: `(N, d)` projections of the second views, row i the same image.
        temperature: the positive scale of the similarities.

    Returns:
        A scalar tensor.

    References:
        Chen, Kornblith, Norouzi, Hinton, "A Simple Framework for Contrastive
        Learning of Visual Representations", ICML 2020.
    """
    positive_number("temperature", temperature)
    u = ops.concatenate([z1, z2], axis=0)
    u = u / ops.sqrt(ops.maximum(ops.sum(u * u, axis=1, keepdims=True), 1e-12))
    logits = ops.matmul(u, ops.transpose(u)) / temperature
    count = ops.shape(u)[0]
    # An anchor is never its own candidate.
    logits = logits - 1e9 * ops.eye(count, dtype=logits.dtype)
    half = count // 2
    positives = ops.concatenate([ops.arange(half, count), ops.arange(0, half)])
    return ops.mean(
        keras.losses.sparse_categorical_crossentropy(
            positives, logits, from_logits=True
        )
    )


@keras.saving.register_keras_serializable(package="kerastoolkit")
class SimCLR(keras.Model):
    """An encoder pretrained without labels by contrasting augmented views.

    Each training batch of images x is augmented twice by `augmenter` (random
    layers, e.g. `keras.layers.RandomTranslation`, `RandomZoom`, `RandomFlip`),
    encoded, projected by `projection_head`, and trained on
    `nt_xent_loss(g(f(a(x))), g(f(a'(x))))`. Afterwards `encoder` (f) holds
    the representation: probe it with a linear classifier or fine-tune it
    (`kerastoolkit.transfer.linear_probe`, `fine_tune`).

    Args:
        encoder: a `keras.Model` from images to feature vectors (or maps,
            flattened).
        projection_head: a `keras.Model` from features to the vectors the loss
            compares.
        augmenter: a `keras.Model` or layer applying random augmentations (it
            must be random in training mode).
        temperature: the NT-Xent temperature.
        **kwargs: base model arguments.

    Call arguments:
        inputs: images as `encoder` takes them.

    Returns:
        The encoder's features of the (unaugmented) images.

    Example:

    >>> model = SimCLR(encoder, keras.Sequential([layers.Dense(64)]),
    ...                keras.Sequential([layers.RandomTranslation(0.1, 0.1)]))
    >>> model.compile(optimizer="adam")
    >>> model.fit(unlabelled_images, epochs=10)

    References:
        Chen et al., "A Simple Framework for Contrastive Learning of Visual
        Representations", ICML 2020.
    """

    def __init__(self, encoder, projection_head, augmenter, temperature=0.1, **kwargs):
        super().__init__(**kwargs)
        for name, part in (
            ("encoder", encoder),
            ("projection_head", projection_head),
        ):
            if not isinstance(part, keras.Model):
                raise ValueError(
                    f"`{name}` must be a keras.Model, got {type(part).__name__}."
                )
        if not isinstance(augmenter, keras.layers.Layer):
            raise ValueError(
                "`augmenter` must be a keras layer or model, got "
                f"{type(augmenter).__name__}."
            )
        positive_number("temperature", temperature)
        self.encoder = encoder
        self.projection_head = projection_head
        self.augmenter = augmenter
        self.temperature = float(temperature)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def build(self, input_shape):
        if not self.encoder.built:
            self.encoder.build(input_shape)
        if not self.augmenter.built:
            self.augmenter.build(input_shape)
        if not self.projection_head.built:
            features = self.encoder.compute_output_shape(input_shape)
            flat = 1
            for size in features[1:]:
                flat *= size
            self.projection_head.build((None, flat))

    @property
    def metrics(self):
        return [self.loss_tracker]

    def call(self, inputs, training=None):
        return self._features(inputs, training=training)

    def _features(self, x, training=None):
        features = self.encoder(x, training=training)
        if len(features.shape) > 2:
            features = ops.reshape(features, (ops.shape(features)[0], -1))
        return features

    def contrastive_loss(self, x, training=True):
        """NT-Xent of two augmented views of the images `x`."""
        projections = [
            self.projection_head(
                self._features(self.augmenter(x, training=True), training=training),
                training=training,
            )
            for _ in range(2)
        ]
        return nt_xent_loss(*projections, temperature=self.temperature)

    def train_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        # The TensorFlow backend's train_step pattern; the loss is keras.ops.
        with tf.GradientTape() as tape:
            loss = self.contrastive_loss(x, training=True)
            scaled = self.optimizer.scale_loss(loss)
        weights = self.trainable_weights
        gradients = tape.gradient(scaled, weights)
        self.optimizer.apply_gradients(zip(gradients, weights, strict=True))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        self.loss_tracker.update_state(self.contrastive_loss(x, training=False))
        return {"loss": self.loss_tracker.result()}

    def get_config(self):
        config = super().get_config()
        config.update(
            encoder=serialize_submodel(self.encoder),
            projection_head=serialize_submodel(self.projection_head),
            augmenter=keras.saving.serialize_keras_object(self.augmenter),
            temperature=self.temperature,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in ("encoder", "projection_head", "augmenter"):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)
