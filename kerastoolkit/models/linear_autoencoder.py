"""The linear autoencoder with tied weights, whose optimum is the PCA subspace."""

import keras
from keras import ops

from kerastoolkit.utils.argument_checks import positive_int


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LinearAutoencoder(keras.Model):
    """A linear autoencoder whose decoder is the transpose of its encoder.

        z_hat = f(x) = W x          (encoder, W of shape q x d)
        x_hat = g(z_hat) = W^T z_hat

    trained on the squared reconstruction error `sum_j |x_j - W^T W x_j|^2`
    (compile with `loss="mean_squared_error"` and fit `x` onto itself). Its
    minimisers are the `W` whose rows span the principal subspace of the data
    (the top `q` eigenvectors of `X^T X`; Baldi and Hornik, 1989), and at the
    optimum `W W^T = I`, so `W^T W` is the orthogonal projection PCA uses.
    Like PCA, it expects centred data: there is no bias.

    In code the weight acts on row vectors: `kernel` is `W^T`, of shape
    `(d, q)`, so `z_hat = x @ kernel` and `x_hat = z_hat @ kernel^T`.

    Args:
        latent_dim: positive integer `q`, smaller than the number of features.
        kernel_initializer: initializer of `kernel`.
        **kwargs: base model arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a tensor of shape `(batch, d)`, centred.

    Returns:
        The reconstruction `x_hat`, shape `(batch, d)`.

    Example:

    >>> model = LinearAutoencoder(latent_dim=2)
    >>> model.compile(optimizer="adam", loss="mean_squared_error")
    >>> x = np.random.default_rng(0).standard_normal((64, 5)).astype("float32")
    >>> history = model.fit(x, x, epochs=2, verbose=0)
    >>> model.encode(x).shape
    TensorShape([64, 2])

    References:
        Baldi and Hornik, "Neural networks and principal component analysis:
        Learning from examples without local minima", Neural Networks 2, 1989.
        Lecture notes, section 2.1.2 "Autoencoders", equations (1)-(3).
    """

    def __init__(self, latent_dim, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        positive_int("latent_dim", latent_dim)
        self.latent_dim = latent_dim
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError("The number of features (last axis) must be known.")
        if self.latent_dim >= features:
            raise ValueError(
                f"`latent_dim` must be smaller than the number of features: got "
                f"latent_dim={self.latent_dim} for {features} features."
            )
        self.kernel = self.add_weight(
            shape=(features, self.latent_dim),
            initializer=self.kernel_initializer,
            name="kernel",
        )

    def call(self, inputs):
        return self.decode(self.encode(inputs))

    def encode(self, x):
        """The code `z_hat = W x`, shape `(batch, q)`."""
        x = ops.cast(ops.convert_to_tensor(x), self.compute_dtype)
        if not self.built:
            self.build(tuple(x.shape))
        return ops.matmul(x, self.kernel)

    def decode(self, z):
        """The reconstruction `x_hat = W^T z_hat`, shape `(batch, d)`."""
        z = ops.cast(ops.convert_to_tensor(z), self.compute_dtype)
        return ops.matmul(z, ops.transpose(self.kernel))

    def serving_endpoints(self):
        """Named SavedModel signatures, for `kerastoolkit.export.export_saved_model`.

        - `serve(inputs)`: `{"reconstruction": W^T W x}`;
        - `encode(inputs)`: `{"code": W x}`;
        - `decode(latent)`: `{"decoded": W^T z}`.

        Inputs of another rank or size, or with NaN or infinite values, fail
        with `InvalidArgumentError` naming the input.

        Returns:
            A dict from endpoint name to `(function, input_signature)`.
        """
        if not self.built:
            raise ValueError("The model must be built before export.")

        def spec(name, size):
            return [
                keras.InputSpec(shape=(None, size), dtype=self.compute_dtype, name=name)
            ]

        inputs = spec("inputs", int(self.kernel.shape[0]))
        return {
            "serve": (lambda inputs: {"reconstruction": self(inputs)}, inputs),
            "encode": (lambda inputs: {"code": self.encode(inputs)}, inputs),
            "decode": (
                lambda latent: {"decoded": self.decode(latent)},
                spec("latent", self.latent_dim),
            ),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
