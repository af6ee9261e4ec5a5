"""The variational autoencoder, trained on the ELBO by its own `train_step`."""

import math

import keras
import tensorflow as tf
from keras import ops

from kerastoolkit.models.autoencoder import endpoint_signature
from kerastoolkit.models.sampling import Sampling
from kerastoolkit.models.submodel_config import serialize_submodel
from kerastoolkit.training.distribution import (
    scale_loss_for_replicas,
    sum_over_replicas,
)
from kerastoolkit.utils.argument_checks import positive_int

LIKELIHOODS = ("bernoulli", "gaussian")
_LOG_2PI = math.log(2.0 * math.pi)


def _last_dim(model, which):
    tensors = getattr(model, which, None)
    if not tensors or len(tensors) != 1:
        return None
    return tensors[0].shape[-1]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class VAE(keras.Model):
    """A variational autoencoder with a diagonal-Gaussian encoder.

        q(z|x)  = N(z; m(x), diag(exp(v(x))))        (the encoder)
        p(z)    = N(z; 0, I)
        p(x|z)  = Bernoulli(x; sigmoid(g(z)))  or  N(x; g(z), s I)

    trained by maximising the evidence lower bound, in nats per example,

        ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) <= log p(x),
        KL      = 1/2 sum_j (m_j^2 + exp(v_j) - 1 - v_j),

    with the expectation estimated by one reparameterised draw
    `z = m + exp(v / 2) * eps` (the `Sampling` layer, seeded by a
    `keras.random.SeedGenerator`). The loss is `-ELBO = reconstruction_loss +
    kl_loss`; `fit` and `evaluate` report all three as means over the
    examples seen (`train_step` and `test_step` are overridden, so `compile`
    takes only an optimizer; regularisation losses, if any, enter the
    gradient but not the reported loss).

    The Bernoulli likelihood suits data in [0, 1] (a normalised likelihood
    for binary data only). The Gaussian likelihood learns one noise variance
    `s` (the weight `log_noise_variance`), as probabilistic PCA does, so its
    ELBO bounds a density of real-valued data that compares directly with
    `ProbabilisticPCA.log_likelihood`.

    Args:
        encoder: a `keras.Model` from inputs to `(batch, 2 * latent_dim)`: the
            posterior means, then the log-variances (e.g. `dense_encoder(shape,
            2 * latent_dim)`).
        decoder: a `keras.Model` from `(batch, latent_dim)` to the input
            shape: the Bernoulli logits, or the Gaussian mean (e.g.
            `dense_decoder(latent_dim, shape)`).
        likelihood: `"bernoulli"` or `"gaussian"`.
        noise_variance: the initial value of the Gaussian likelihood's noise
            variance `s` (then learned); a start near the data's scale saves
            the optimizer many steps. Unused for Bernoulli.
        seed: integer seed of the sampling noise, or `None`.
        **kwargs: base model arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a tensor of the encoder's input shape.
        training: whether to decode a sample of `q(z|x)` (`True`) or its mean.

    Returns:
        The mean of `p(x|z)` (pixel probabilities for Bernoulli), of the
        decoder's output shape: a reconstruction of `inputs`.

    Example:

    >>> latent_dim = 2
    >>> vae = VAE(
    ...     dense_encoder((28, 28), 2 * latent_dim), dense_decoder(latent_dim, (28, 28))
    ... )
    >>> vae.compile(optimizer="adam")
    >>> history = vae.fit(x_train, epochs=10)  # doctest: +SKIP
    >>> sorted(history.history)  # doctest: +SKIP
    ['kl_loss', 'loss', 'reconstruction_loss']

    References:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
        Rezende, Mohamed and Wierstra, "Stochastic Backpropagation and
        Approximate Inference in Deep Generative Models", ICML 2014.
    """

    def __init__(
        self,
        encoder,
        decoder,
        likelihood="bernoulli",
        noise_variance=1.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, part in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(part, keras.Model):
                raise ValueError(
                    f"`{name}` must be a keras.Model, got {type(part).__name__}."
                )
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"`likelihood` must be one of {LIKELIHOODS}, got {likelihood!r}."
            )
        latent_dim = _last_dim(decoder, "inputs")
        if latent_dim is None:
            raise ValueError(
                "`decoder` must be a functional model with one input of shape "
                "(batch, latent_dim)."
            )
        encoded = _last_dim(encoder, "outputs")
        if encoded is not None and encoded != 2 * latent_dim:
            raise ValueError(
                f"`encoder` must output 2 * latent_dim = {2 * latent_dim} features "
                f"(means, then log-variances) for a decoder of latent_dim="
                f"{latent_dim}, got {encoded}."
            )
        if (
            isinstance(noise_variance, bool)
            or not isinstance(noise_variance, int | float)
            or not noise_variance > 0
        ):
            raise ValueError(
                f"`noise_variance` must be a positive number, got {noise_variance!r}."
            )
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.noise_variance = float(noise_variance)
        self.seed = seed
        self.latent_dim = int(latent_dim)
        self.sampling = Sampling(seed=seed, name="sampling")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    def build(self, input_shape):
        if not self.encoder.built:
            self.encoder.build(input_shape)
        if not self.decoder.built:
            self.decoder.build((None, self.latent_dim))
        if self.likelihood == "gaussian":
            self.log_noise_variance = self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(math.log(self.noise_variance)),
                name="log_noise_variance",
            )

    @property
    def metrics(self):
        return [
            self.loss_tracker,
            self.reconstruction_loss_tracker,
            self.kl_loss_tracker,
        ]

    def call(self, inputs, training=None):
        mean, log_variance = self.encode(inputs, training=training)
        z = self.sampling([mean, log_variance]) if training else mean
        return self._data_mean(self.decoder(z, training=training))

    def _data_mean(self, decoded):
        if self.likelihood == "bernoulli":
            return ops.sigmoid(decoded)
        return decoded

    def encode(self, x, training=False):
        """The posterior `q(z|x)` as `(mean, log_variance)`, each `(batch, latent_dim)`.

        Args:
            x: a batch of inputs.
            training: passed to the encoder.
        """
        encoded = self.encoder(x, training=training)
        return encoded[:, : self.latent_dim], encoded[:, self.latent_dim :]

    def decode(self, z):
        """The mean of `p(x|z)`: pixel probabilities (Bernoulli) or Gaussian means."""
        return self._data_mean(self.decoder(z, training=False))

    def sample(self, num_samples, seed=None):
        """Decodes `num_samples` draws of `z ~ p(z)`: the means of `p(x|z)`.

        Args:
            num_samples: positive integer.
            seed: integer seed, a `keras.random.SeedGenerator`, or `None`.

        Returns:
            A tensor of shape `(num_samples, *decoder output shape)`.
        """
        positive_int("num_samples", num_samples)
        z = keras.random.normal(
            (num_samples, self.latent_dim), dtype=self.compute_dtype, seed=seed
        )
        return self.decode(z)

    def loss_terms(self, x, latent_noise=None, training=False):
        """The two terms of `-ELBO(x)`, per example, in nats.

        Args:
            x: a batch of inputs.
            latent_noise: optional standard-normal `eps` of shape `(batch,
                latent_dim)` for the draw `z = m + exp(v / 2) eps`; by default
                drawn from the model's seed generator.
            training: passed to the encoder and decoder.

        Returns:
            `(reconstruction_loss, kl_loss)`, each of shape `(batch,)`:
            `-log p(x|z)` summed over all non-batch axes, and
            `KL(q(z|x) || p(z))`.
        """
        x = ops.cast(x, self.compute_dtype)
        if not self.built:
            # Through __call__, which records the input shape for saving; fit
            # and evaluate reach here without calling the model.
            self(x)
        mean, log_variance = self.encode(x, training=training)
        parts = [mean, log_variance]
        if latent_noise is not None:
            parts.append(latent_noise)
        decoded = self.decoder(self.sampling(parts), training=training)
        if self.likelihood == "bernoulli":
            pointwise = ops.binary_crossentropy(x, decoded, from_logits=True)
        else:
            log_s = ops.cast(self.log_noise_variance, decoded.dtype)
            pointwise = 0.5 * (
                _LOG_2PI + log_s + ops.square(x - decoded) * ops.exp(-log_s)
            )
        reconstruction = ops.sum(
            ops.reshape(pointwise, (ops.shape(pointwise)[0], -1)), axis=-1
        )
        kl = 0.5 * ops.sum(
            ops.square(mean) + ops.exp(log_variance) - 1.0 - log_variance, axis=-1
        )
        return reconstruction, kl

    def _update_trackers(self, reconstruction, kl):
        # Per-example values: the metrics are exact means over an epoch
        # whatever the batch sizes.
        self.loss_tracker.update_state(reconstruction + kl)
        self.reconstruction_loss_tracker.update_state(reconstruction)
        self.kl_loss_tracker.update_state(kl)
        return {metric.name: metric.result() for metric in self.metrics}

    def train_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        # The TensorFlow backend's train_step pattern (as in the Keras VAE
        # example); the loss itself is keras.ops.
        with tf.GradientTape() as tape:
            reconstruction, kl = self.loss_terms(x, training=True)
            # The mean over the GLOBAL batch: replicas' gradients are summed, so
            # each divides its examples' sum by the global count.
            count = sum_over_replicas(ops.cast(ops.shape(kl)[0], kl.dtype))
            loss = ops.sum(reconstruction + kl) / count
            if self.losses:
                loss = loss + scale_loss_for_replicas(ops.sum(self.losses))
            scaled = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled, self.trainable_weights)
        self.optimizer.apply_gradients(
            zip(gradients, self.trainable_weights, strict=True)
        )
        return self._update_trackers(reconstruction, kl)

    def test_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        reconstruction, kl = self.loss_terms(x, training=False)
        return self._update_trackers(reconstruction, kl)

    def serving_endpoints(self):
        """Named SavedModel signatures, for `kerastoolkit.export.export_saved_model`.

        - `serve(inputs)`: `{"reconstruction"}`, the mean of `p(x|z)` at the
          posterior mean `z`;
        - `encode(inputs)`: `{"mean", "log_variance"}` of the posterior;
        - `decode(latent)`: `{"decoded"}`, the mean of `p(x|z)`;
        - `sample(latent_noise)`: `{"samples"}`, the mean of `p(x|z)` for
          standard-normal `z` that the caller draws, so serving stays
          stateless and reproducible.

        Inputs of another rank or size, or with NaN or infinite values, fail
        with `InvalidArgumentError` naming the input.

        Returns:
            A dict from endpoint name to `(function, input_signature)`.
        """

        def latent(name):
            shape = (None, self.latent_dim)
            return [keras.InputSpec(shape=shape, dtype=self.compute_dtype, name=name)]

        def encode(inputs):
            mean, log_variance = self.encode(inputs)
            return {"mean": mean, "log_variance": log_variance}

        inputs = endpoint_signature(self.encoder, "inputs")
        return {
            "serve": (
                lambda inputs: {"reconstruction": self(inputs, training=False)},
                inputs,
            ),
            "encode": (encode, inputs),
            "decode": (
                lambda latent: {"decoded": self.decode(latent)},
                latent("latent"),
            ),
            "sample": (
                lambda latent_noise: {"samples": self.decode(latent_noise)},
                latent("latent_noise"),
            ),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            encoder=serialize_submodel(self.encoder),
            decoder=serialize_submodel(self.decoder),
            likelihood=self.likelihood,
            noise_variance=self.noise_variance,
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in ("encoder", "decoder"):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)
