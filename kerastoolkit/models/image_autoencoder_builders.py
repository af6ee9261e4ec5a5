"""Encoder, decoder and VAE builders for images in [0, 1], dense or convolutional.

`image_encoder` and `image_decoder` pick `dense_encoder`/`dense_decoder` or
`conv_encoder`/`conv_decoder` by name; the decoder mirrors the encoder (the
same layer sizes in reverse) and ends in a sigmoid, so its output is an image
in [0, 1]. `image_vae` joins them into a Gaussian-likelihood `VAE`, the model
the Fashion-MNIST demos compare with PCA, PPCA and GANs.
"""

from kerastoolkit.models.autoencoder import (
    conv_decoder,
    conv_encoder,
    dense_decoder,
    dense_encoder,
)
from kerastoolkit.models.vae import VAE
from kerastoolkit.utils.argument_checks import positive_int

ARCHITECTURES = ("dense", "conv")
"""The `architecture` values the builders take."""


def _architecture(architecture):
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"`architecture` must be one of {ARCHITECTURES}, got {architecture!r}."
        )
    return architecture


def image_encoder(
    image_shape,
    output_dim,
    architecture="dense",
    hidden_units=(512, 256),
    filters=(32, 64),
    name="encoder",
):
    """An encoder from images of `image_shape` to `output_dim` features.

    Args:
        image_shape: `(height, width)` or `(height, width, channels)`.
        output_dim: size of the (linear) output: `latent_dim` for an
            `Autoencoder`, `2 * latent_dim` for a `VAE`.
        architecture: `"dense"` (a multilayer perceptron of `hidden_units`)
            or `"conv"` (stride-2 convolutions of `filters`).
        hidden_units: hidden layer sizes of the dense encoder.
        filters: filters of the convolutional encoder's convolutions.
        name: the model's name.

    Returns:
        A functional `keras.Model`.

    Example:
        >>> encoder = image_encoder((28, 28), 2 * 20, hidden_units=(512, 256))
    """
    if _architecture(architecture) == "dense":
        return dense_encoder(image_shape, output_dim, hidden_units, name=name)
    return conv_encoder(image_shape, output_dim, filters, name=name)


def image_decoder(
    latent_dim,
    image_shape,
    architecture="dense",
    hidden_units=(512, 256),
    filters=(32, 64),
    name="decoder",
):
    """The mirror of `image_encoder`: from `latent_dim` features to an image.

    Takes the ENCODER's sizes and uses them in reverse order; the output is a
    sigmoid, an image in [0, 1] of `image_shape`.

    Args:
        latent_dim: size of the code `z`.
        image_shape: `(height, width)` or `(height, width, channels)`.
        architecture: `"dense"` or `"conv"`, as for `image_encoder`.
        hidden_units: the dense encoder's hidden layer sizes (reversed here).
        filters: the convolutional encoder's filters (reversed here).
        name: the model's name.

    Returns:
        A functional `keras.Model`.

    Example:
        >>> decoder = image_decoder(20, (28, 28), hidden_units=(512, 256))
    """
    if _architecture(architecture) == "dense":
        return dense_decoder(
            latent_dim,
            image_shape,
            hidden_units=tuple(reversed(tuple(hidden_units))),
            output_activation="sigmoid",
            name=name,
        )
    return conv_decoder(
        latent_dim,
        image_shape,
        filters=tuple(reversed(tuple(filters))),
        output_activation="sigmoid",
        name=name,
    )


def image_vae(
    image_shape,
    latent_dim,
    architecture="dense",
    hidden_units=(512, 256),
    filters=(32, 64),
    noise_variance=1.0,
    seed=None,
    name=None,
):
    """A Gaussian-likelihood `VAE` of images whose decoder mean is a sigmoid image.

        q(z|x) = N(m(x), diag(exp(v(x)))),  p(x|z) = N(sigmoid(g(z)), s I),

    with `[m, v]` from `image_encoder(image_shape, 2 * latent_dim, ...)`, `g`
    from `image_decoder(latent_dim, image_shape, ...)` and the noise variance
    `s` learned from `noise_variance` on. Not compiled.

    Args:
        image_shape: `(height, width)` or `(height, width, channels)`.
        latent_dim: size of the code `z`.
        architecture: `"dense"` or `"conv"`.
        hidden_units: hidden layer sizes of the dense encoder (the decoder
            mirrors them).
        filters: filters of the convolutional encoder (the decoder mirrors
            them).
        noise_variance: the initial noise variance `s` of the likelihood.
        seed: integer seed of the VAE's sampling noise, or `None`.
        name: the model's name.

    Returns:
        A `VAE`.

    Example:
        >>> vae = image_vae((28, 28), 20, noise_variance=0.02, seed=0)
        >>> vae.compile(optimizer="adam")
        >>> vae.fit(x_train, epochs=10)  # doctest: +SKIP

    References:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    """
    positive_int("latent_dim", latent_dim)
    sizes = {
        "architecture": architecture,
        "hidden_units": hidden_units,
        "filters": filters,
    }
    encoder = image_encoder(image_shape, 2 * latent_dim, **sizes)
    decoder = image_decoder(latent_dim, image_shape, **sizes)
    return VAE(
        encoder,
        decoder,
        likelihood="gaussian",
        noise_variance=noise_variance,
        seed=seed,
        name=name,
    )
