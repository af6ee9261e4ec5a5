"""The reparameterisation trick: a seeded draw from a diagonal Gaussian."""

import keras
from keras import ops

from kerastoolkit.training.distribution import draw_for_global_batch


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Sampling(keras.layers.Layer):
    """Draws `z ~ N(mean, diag(exp(log_variance)))` by reparameterisation.

        z = mean + exp(0.5 * log_variance) * epsilon,    epsilon ~ N(0, I)

    `z` is a differentiable function of `mean` and `log_variance` for a fixed
    `epsilon`, so gradients of an expectation over `z` flow back into the
    network that produced them (the variational autoencoder's encoder).
    `epsilon` is drawn from a `keras.random.SeedGenerator`, so a layer built
    with a `seed` gives the same sequence of draws on every run; or it is
    passed in as a third input, which makes the layer deterministic (for
    evaluation with common random numbers, tests and serving).

    The layer samples whenever `epsilon` is not given, in training and in
    inference alike: a model that wants the mean at inference (as `VAE` does)
    skips the layer.

    Args:
        seed: integer seed of the layer's `SeedGenerator`, or `None` for an
            unseeded one.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a list `[mean, log_variance]` or `[mean, log_variance,
            epsilon]` of tensors of the same shape `(batch, latent_dim)`.

    Returns:
        `z`, a tensor of shape `(batch, latent_dim)`.

    Example:

    >>> sampling = Sampling(seed=0)
    >>> z = sampling([np.zeros((4, 2), "float32"), np.zeros((4, 2), "float32")])
    >>> z.shape
    TensorShape([4, 2])

    References:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"`seed` must be an integer or None, got {seed!r}.")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        if not isinstance(inputs, list | tuple) or len(inputs) not in (2, 3):
            raise ValueError(
                "`inputs` must be a list [mean, log_variance] or [mean, "
                f"log_variance, epsilon], got {type(inputs).__name__} of "
                f"length {len(inputs) if isinstance(inputs, list | tuple) else 1}."
            )
        mean, log_variance = inputs[0], inputs[1]
        if len(inputs) == 3:
            epsilon = ops.cast(inputs[2], mean.dtype)
        else:
            # Drawn for the whole global batch under a multi-replica strategy,
            # so that 1 and N devices see the same noise for the same seed.
            epsilon = draw_for_global_batch(
                lambda shape: keras.random.normal(
                    shape, dtype=mean.dtype, seed=self.seed_generator
                ),
                ops.shape(mean),
            )
        return mean + ops.exp(0.5 * log_variance) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed)
        return config
