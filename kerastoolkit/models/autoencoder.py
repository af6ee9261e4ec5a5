"""A deep (optionally denoising) autoencoder, and dense and convolutional builders.

The builders return functional `keras.Model`s that `Autoencoder` and `VAE`
compose: `dense_encoder`/`conv_encoder` map inputs of any fixed shape to a
vector of `output_dim` features, `dense_decoder`/`conv_decoder` map a vector of
`latent_dim` features back to that shape.
"""

import math

import keras
from keras import ops

from kerastoolkit.models.submodel_config import serialize_submodel
from kerastoolkit.utils.argument_checks import positive_int


def _units(name, values):
    values = tuple(values)
    for value in values:
        positive_int(f"{name} entries", value)
    return values


def _shape(name, shape):
    shape = tuple(shape)
    if not shape:
        raise ValueError(f"`{name}` must be a non-empty shape, got {shape!r}.")
    for size in shape:
        positive_int(f"{name} entries", size)
    return shape


def dense_encoder(
    input_shape, output_dim, hidden_units=(512, 256), activation="relu", name="encoder"
):
    """A multilayer perceptron from inputs of `input_shape` to `output_dim` features.

        h_0 = flatten(x),  h_k = activation(h_{k-1} A_k + b_k),  out = h_K A + b

    Args:
        input_shape: the shape of one example, e.g. `(28, 28)`.
        output_dim: size of the (linear) output: `latent_dim` for an
            `Autoencoder`, `2 * latent_dim` for a `VAE`.
        hidden_units: sizes of the hidden layers.
        activation: activation of the hidden layers.
        name: the model's name.

    Returns:
        A functional `keras.Model`.
    """
    input_shape = _shape("input_shape", input_shape)
    positive_int("output_dim", output_dim)
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Flatten()(inputs)
    for index, units in enumerate(_units("hidden_units", hidden_units)):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{index}")(x)
    outputs = keras.layers.Dense(output_dim, name="code")(x)
    return keras.Model(inputs, outputs, name=name)


def dense_decoder(
    latent_dim,
    output_shape,
    hidden_units=(256, 512),
    activation="relu",
    output_activation=None,
    name="decoder",
):
    """A multilayer perceptron from `latent_dim` features to outputs of `output_shape`.

    Args:
        latent_dim: size of the code `z`.
        output_shape: the shape of one reconstructed example, e.g. `(28, 28)`.
        hidden_units: sizes of the hidden layers.
        activation: activation of the hidden layers.
        output_activation: activation of the output, e.g. `"sigmoid"` for
            pixels in [0, 1]; `None` (linear) for logits or a Gaussian mean.
        name: the model's name.

    Returns:
        A functional `keras.Model`.
    """
    positive_int("latent_dim", latent_dim)
    output_shape = _shape("output_shape", output_shape)
    inputs = keras.Input(shape=(latent_dim,), name="latent")
    x = inputs
    for index, units in enumerate(_units("hidden_units", hidden_units)):
        x = keras.layers.Dense(units, activation=activation, name=f"dense_{index}")(x)
    x = keras.layers.Dense(
        math.prod(output_shape), activation=output_activation, name="output"
    )(x)
    outputs = keras.layers.Reshape(output_shape, name="reshape")(x)
    return keras.Model(inputs, outputs, name=name)


def _image_shape(name, shape):
    shape = _shape(name, shape)
    if len(shape) == 2:
        return shape + (1,)
    if len(shape) != 3:
        raise ValueError(
            f"`{name}` must be (height, width) or (height, width, channels), "
            f"got {shape!r}."
        )
    return shape


def conv_encoder(
    input_shape, output_dim, filters=(32, 64), activation="relu", name="encoder"
):
    """Strided 3x3 convolutions (each halves height and width), then a dense layer.

    Args:
        input_shape: `(height, width)` or `(height, width, channels)`.
        output_dim: size of the (linear) output.
        filters: filters of each stride-2 convolution.
        activation: activation of the convolutions.
        name: the model's name.

    Returns:
        A functional `keras.Model`.
    """
    input_shape = _shape("input_shape", input_shape)
    image_shape = _image_shape("input_shape", input_shape)
    positive_int("output_dim", output_dim)
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Reshape(image_shape, name="to_image")(inputs)
    for index, count in enumerate(_units("filters", filters)):
        x = keras.layers.Conv2D(
            count,
            3,
            strides=2,
            padding="same",
            activation=activation,
            name=f"conv_{index}",
        )(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(output_dim, name="code")(x)
    return keras.Model(inputs, outputs, name=name)


def conv_decoder(
    latent_dim,
    output_shape,
    filters=(64, 32),
    activation="relu",
    output_activation=None,
    name="decoder",
):
    """A dense layer to a small feature map, then stride-2 transposed convolutions.

    Each transposed convolution doubles height and width, so both must be
    divisible by `2 ** len(filters)`; a final 3x3 convolution gives the
    channels.

    Args:
        latent_dim: size of the code `z`.
        output_shape: `(height, width)` or `(height, width, channels)`.
        filters: filters of each transposed convolution.
        activation: activation of the transposed convolutions.
        output_activation: activation of the output (`None`: linear).
        name: the model's name.

    Returns:
        A functional `keras.Model`.
    """
    positive_int("latent_dim", latent_dim)
    output_shape = _shape("output_shape", output_shape)
    height, width, channels = _image_shape("output_shape", output_shape)
    filters = _units("filters", filters)
    factor = 2 ** len(filters)
    if height % factor or width % factor:
        raise ValueError(
            f"`output_shape` {output_shape} must have height and width divisible "
            f"by 2 ** len(filters) = {factor}."
        )
    start = (height // factor, width // factor, filters[0] if filters else channels)
    inputs = keras.Input(shape=(latent_dim,), name="latent")
    x = keras.layers.Dense(math.prod(start), activation=activation, name="project")(
        inputs
    )
    x = keras.layers.Reshape(start, name="to_feature_map")(x)
    for index, count in enumerate(filters):
        x = keras.layers.Conv2DTranspose(
            count,
            3,
            strides=2,
            padding="same",
            activation=activation,
            name=f"deconv_{index}",
        )(x)
    x = keras.layers.Conv2D(
        channels, 3, padding="same", activation=output_activation, name="output"
    )(x)
    outputs = keras.layers.Reshape(output_shape, name="reshape")(x)
    return keras.Model(inputs, outputs, name=name)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Autoencoder(keras.Model):
    """A deep autoencoder `x_hat = g(f(x))`, optionally denoising.

        z_hat = f(x + n),  x_hat = g(z_hat),   n ~ N(0, noise_stddev^2 I)

    where the corruption `n` is only added in training. Trained on a
    reconstruction loss of the clean input (compile with e.g.
    `loss="mean_squared_error"` and fit `x` onto itself), a denoising
    autoencoder learns to undo the noise rather than copy its input.

    Args:
        encoder: a `keras.Model` `f` from inputs to codes of shape
            `(batch, latent_dim)`, e.g. from `dense_encoder` or `conv_encoder`.
        decoder: a `keras.Model` `g` from codes to the input shape, e.g.
            from `dense_decoder` or `conv_decoder`.
        noise_stddev: standard deviation of the Gaussian corruption added to
            the inputs in training; `0` for a plain autoencoder.
        seed: integer seed of the corruption noise, or `None`.
        **kwargs: base model arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a tensor of the encoder's input shape.
        training: whether to corrupt the inputs.

    Returns:
        The reconstruction, of the decoder's output shape.

    Example:

    >>> encoder = dense_encoder((28, 28), 16)
    >>> decoder = dense_decoder(16, (28, 28), output_activation="sigmoid")
    >>> model = Autoencoder(encoder, decoder, noise_stddev=0.2)
    >>> model.compile(optimizer="adam", loss="mean_squared_error")
    >>> history = model.fit(x_train, x_train, epochs=10)  # doctest: +SKIP

    References:
        Vincent, Larochelle, Bengio and Manzagol, "Extracting and composing
        robust features with denoising autoencoders", ICML 2008.
        Lecture notes, section 2.1.2 "Autoencoders".
    """

    def __init__(self, encoder, decoder, noise_stddev=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        for name, part in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(part, keras.Model):
                raise ValueError(
                    f"`{name}` must be a keras.Model, got {type(part).__name__}."
                )
        if not isinstance(noise_stddev, int | float) or not noise_stddev >= 0:
            raise ValueError(
                f"`noise_stddev` must be a non-negative number, got {noise_stddev!r}."
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"`seed` must be an integer or None, got {seed!r}.")
        self.encoder = encoder
        self.decoder = decoder
        self.noise_stddev = float(noise_stddev)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if not self.encoder.built:
            self.encoder.build(input_shape)
        if not self.decoder.built:
            self.decoder.build(self.encoder.compute_output_shape(input_shape))

    def call(self, inputs, training=None):
        if training and self.noise_stddev > 0:
            inputs = inputs + self.noise_stddev * keras.random.normal(
                ops.shape(inputs), dtype=inputs.dtype, seed=self.seed_generator
            )
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def encode(self, x):
        """The code `f(x)` (no corruption)."""
        return self.encoder(x, training=False)

    def decode(self, z):
        """The reconstruction `g(z)`."""
        return self.decoder(z, training=False)

    def serving_endpoints(self):
        """Named SavedModel signatures, for `kerastoolkit.export.export_saved_model`.

        - `serve(inputs)`: `{"reconstruction": g(f(x))}` (no corruption);
        - `encode(inputs)`: `{"code": f(x)}`;
        - `decode(latent)`: `{"decoded": g(z)}`.

        Inputs of another rank or size, or with NaN or infinite values, fail
        with `InvalidArgumentError` naming the input.

        Returns:
            A dict from endpoint name to `(function, input_signature)`.
        """
        inputs = endpoint_signature(self.encoder, "inputs")
        return {
            "serve": (
                lambda inputs: {"reconstruction": self(inputs, training=False)},
                inputs,
            ),
            "encode": (lambda inputs: {"code": self.encode(inputs)}, inputs),
            "decode": (
                lambda latent: {"decoded": self.decode(latent)},
                endpoint_signature(self.decoder, "latent"),
            ),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            encoder=serialize_submodel(self.encoder),
            decoder=serialize_submodel(self.decoder),
            noise_stddev=self.noise_stddev,
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in ("encoder", "decoder"):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


def endpoint_signature(model, name):
    """The input signature of a single-input functional `model`, any batch size.

    Args:
        model: a functional model with one input.
        name: the signature argument's name, for clients (e.g. "inputs").

    Returns:
        A one-element list of `keras.InputSpec`, as endpoints take it.
    """
    (spec,) = model.inputs
    return [keras.InputSpec(shape=(None, *spec.shape[1:]), dtype=spec.dtype, name=name)]
