"""DCGAN generator and discriminator builders for small images (28x28, 32x32).

Each builder returns a functional `keras.Model` for `GAN`. The conditional
variants (`num_classes` set) take integer labels as a second input: the
generator concatenates a learned label embedding to the noise; the
discriminator either projects its features onto a learned class embedding
(`conditioning="projection"`, the default) or appends an embedded label map
as an extra image channel (`conditioning="label_map"`).

Why projection is the default: with the label map, the label is one channel
of small random values (the embedding's initial scale, +-0.05) beside pixel
values in [0, 1], and nothing forces the discriminator to use it; it learns
"real or fake" first and the label stays a weak input, so the generator is
barely told which class to draw (55.9% of conditional samples read as the
class asked for in the demo's full run). The projection term
`<embed(c), phi(x)>` adds, for each class, its own linear read-out of the
features to the logit, so judging an image against its label costs the
discriminator nothing to learn (Miyato and Koyama 2018).

References:
    Radford, Metz and Chintala, "Unsupervised Representation Learning with Deep
    Convolutional Generative Adversarial Networks", ICLR 2016 (strided
    convolutions instead of pooling, batch normalisation in the generator,
    LeakyReLU(0.2) in the discriminator).
    Mirza and Osindero, "Conditional Generative Adversarial Nets",
    arXiv:1411.1784, 2014.
    Miyato and Koyama, "cGANs with Projection Discriminator", ICLR 2018.
    Miyato et al., "Spectral Normalization for Generative Adversarial
    Networks", ICLR 2018.
"""

import keras

from kerastoolkit.utils.argument_checks import boolean, one_of, positive_int, rate

CONDITIONINGS = ("projection", "label_map")


def _filters(filters):
    filters = tuple(filters)
    if not filters:
        raise ValueError("`filters` must hold at least one value, got ().")
    for value in filters:
        positive_int("filters", value)
    return filters


def _image_shape(image_shape, filters):
    shape = tuple(image_shape)
    if len(shape) != 3 or not all(
        isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape
    ):
        raise ValueError(
            f"`image_shape` must be (height, width, channels) integers, got {shape!r}."
        )
    factor = 2 ** len(filters)
    if shape[0] % factor or shape[1] % factor:
        raise ValueError(
            f"`image_shape` {shape[:2]} must be divisible by 2**len(filters) = "
            f"{factor} (each filter count is one stride-2 step): use two filter "
            "counts for 28x28 images, three for 32x32."
        )
    return shape


def _num_classes(num_classes):
    if num_classes is not None:
        positive_int("num_classes", num_classes)
        if num_classes < 2:
            raise ValueError(
                f"`num_classes` must be None or an integer >= 2, got {num_classes}."
            )
    return num_classes


def dcgan_generator(
    latent_dim=64,
    image_shape=(28, 28, 1),
    filters=(128, 64),
    num_classes=None,
    embedding_dim=16,
    batch_norm=True,
    output_activation="sigmoid",
    name="dcgan_generator",
):
    """The DCGAN generator: a projection, then stride-2 transposed convolutions.

        h_0 = reshape(Dense(z [; embed(c)]), (H / 2^k, W / 2^k, filters[0]))
        h_i = ReLU(BN(ConvTranspose_4x4/2(h_{i-1}, filters[i])))   i = 1 .. k-1
        x   = act(ConvTranspose_4x4/2(h_{k-1}, channels))

    with `k = len(filters)` doublings of the side: `(128, 64)` turns 7x7 into
    28x28, `(256, 128, 64)` turns 4x4 into 32x32.

    Args:
        latent_dim: the size of the noise vector `z`.
        image_shape: `(height, width, channels)` of the images; height and
            width divisible by `2 ** len(filters)`.
        filters: channels of the projected map, then of each upsampled map.
        num_classes: `None`, or the number of classes of a conditional
            generator (a second input of integer labels).
        embedding_dim: size of the label embedding (conditional only).
        batch_norm: batch normalisation after the projection and each hidden
            transposed convolution.
        output_activation: `"sigmoid"` for images in [0, 1], `"tanh"` for
            [-1, 1].
        name: the model's name.

    Returns:
        A functional `keras.Model`: `noise (batch, latent_dim)` (and
        `labels (batch,)`) to images `(batch, *image_shape)`.
    """
    positive_int("latent_dim", latent_dim)
    filters = _filters(filters)
    height, width, channels = _image_shape(image_shape, filters)
    num_classes = _num_classes(num_classes)
    positive_int("embedding_dim", embedding_dim)
    factor = 2 ** len(filters)
    noise = keras.Input((latent_dim,), name="noise")
    inputs = noise
    x = noise
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        # Unit-variance codes, as loud as the noise: Keras' default (+-0.05)
        # would start the label 20 times quieter than z.
        embedded = keras.layers.Embedding(
            num_classes,
            embedding_dim,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="label_embedding",
        )(labels)
        x = keras.layers.Concatenate(name="noise_and_label")([noise, embedded])
        inputs = [noise, labels]
    start = (height // factor, width // factor)
    x = keras.layers.Dense(
        start[0] * start[1] * filters[0], use_bias=not batch_norm, name="projection"
    )(x)
    x = keras.layers.Reshape((*start, filters[0]), name="projection_map")(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name="projection_bn")(x)
    x = keras.layers.ReLU(name="projection_relu")(x)
    for index, count in enumerate(filters[1:], start=1):
        x = keras.layers.Conv2DTranspose(
            count,
            4,
            strides=2,
            padding="same",
            use_bias=not batch_norm,
            name=f"block{index}_deconv",
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"block{index}_bn")(x)
        x = keras.layers.ReLU(name=f"block{index}_relu")(x)
    images = keras.layers.Conv2DTranspose(
        channels,
        4,
        strides=2,
        padding="same",
        activation=output_activation,
        dtype="float32",
        name="images",
    )(x)
    return keras.Model(inputs, images, name=name)


def dcgan_discriminator(
    image_shape=(28, 28, 1),
    filters=(64, 128),
    num_classes=None,
    dropout=0.3,
    layer_norm=False,
    conditioning="projection",
    spectral_norm=False,
    name="dcgan_discriminator",
):
    """The DCGAN discriminator: stride-2 convolutions with LeakyReLU, one logit.

        h_0 = x                     ("label_map": [x; reshape(embed(c), (H, W, 1))])
        h_i = LeakyReLU_0.2(norm(Conv_4x4/2(h_{i-1}, filters[i-1])))
        phi = dropout(flatten(h_k))
        D   = Dense(phi, 1)                            (a logit, no sigmoid)
            + <embed(c), phi>                          ("projection" only)

    No batch normalisation: its batch statistics couple real and fake
    examples, and WGAN-GP's per-example gradient penalty forbids it;
    `layer_norm` is the per-example alternative.

    With `spectral_norm`, each convolution and the logit layer are wrapped in
    `keras.layers.SpectralNormalization`: in training, each call divides the
    kernel by its largest singular value (estimated by one power iteration
    per call), so each layer is 1-Lipschitz and the
    discriminator cannot sharpen faster than the generator can follow.

    Args:
        image_shape: `(height, width, channels)`, divisible by
            `2 ** len(filters)`.
        filters: channels of each stride-2 convolution.
        num_classes: `None`, or the number of classes of a conditional
            discriminator (a second input of integer labels).
        dropout: dropout rate before the logit.
        layer_norm: layer normalisation after each hidden convolution but the
            first.
        conditioning: how a conditional discriminator uses the label:
            `"projection"` (Miyato and Koyama 2018) or `"label_map"` (an
            embedded label image as an extra input channel).
        spectral_norm: spectral normalisation of every weight layer.
        name: the model's name.

    Returns:
        A functional `keras.Model`: images (and labels) to logits `(batch, 1)`.
    """
    filters = _filters(filters)
    height, width, channels = _image_shape(image_shape, filters)
    num_classes = _num_classes(num_classes)
    rate("dropout", dropout)
    one_of("conditioning", conditioning, CONDITIONINGS)
    boolean("spectral_norm", spectral_norm)

    def weighted(layer):
        if not spectral_norm:
            return layer
        return keras.layers.SpectralNormalization(layer, name=f"{layer.name}_sn")

    images = keras.Input((height, width, channels), name="images")
    inputs = images
    x = images
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [images, labels]
    if num_classes is not None and conditioning == "label_map":
        label_map = keras.layers.Embedding(
            num_classes, height * width, name="label_embedding"
        )(labels)
        label_map = keras.layers.Reshape((height, width, 1), name="label_map")(
            label_map
        )
        x = keras.layers.Concatenate(name="image_and_label")([images, label_map])
    for index, count in enumerate(filters, start=1):
        x = weighted(
            keras.layers.Conv2D(
                count, 4, strides=2, padding="same", name=f"block{index}_conv"
            )
        )(x)
        if layer_norm and index > 1:
            x = keras.layers.LayerNormalization(
                axis=(1, 2, 3), name=f"block{index}_ln"
            )(x)
        x = keras.layers.LeakyReLU(0.2, name=f"block{index}_leaky_relu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    logits = weighted(keras.layers.Dense(1, dtype="float32", name="logit"))(x)
    if num_classes is not None and conditioning == "projection":
        # Not spectrally normalised: Keras' wrapper casts its output to the
        # input's dtype, the labels' int32.
        class_vectors = keras.layers.Embedding(
            num_classes, int(x.shape[-1]), name="class_embedding"
        )(labels)
        projection = keras.layers.Dot(axes=1, dtype="float32", name="projection")(
            [class_vectors, x]
        )
        logits = keras.layers.Add(dtype="float32", name="projected_logit")(
            [logits, projection]
        )
    return keras.Model(inputs, logits, name=name)
