"""Convolutional backbones for `ImageClassifier`: a plain CNN, a pre-activation
ResNet, and any `keras.applications` network.

Each builder returns a functional `keras.Model` from float images `(height,
width, channels)` to a feature map; the classifier adds preprocessing, pooling
and the head. Layers are named `block<n>_...` (or `stage<s>_block<b>_...`), so
`kerastoolkit.transfer.unfreeze_top` can find the top blocks.
"""

import keras

from kerastoolkit.utils.argument_checks import positive_int, rate

_APPLICATION_NAMES = (
    "ConvNeXtTiny",
    "DenseNet121",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetV2B0",
    "EfficientNetV2S",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Small",
    "MobileNetV3Large",
    "NASNetMobile",
    "ResNet50",
    "ResNet50V2",
    "ResNet101V2",
    "VGG16",
    "VGG19",
    "Xception",
)
"""`keras.applications` constructors `applications_backbone` accepts (a sample;
any constructor taking `include_top`, `weights` and `input_shape` works)."""


def _image_shape(input_shape):
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(
            "`input_shape` must be (height, width, channels), got "
            f"{tuple(input_shape)!r}."
        )
    if shape[-1] is None:
        raise ValueError(f"`input_shape` must give the channels, got {shape!r}.")
    return shape


def _filters(name, filters):
    filters = tuple(filters)
    if not filters:
        raise ValueError(f"`{name}` must hold at least one value, got ().")
    for value in filters:
        positive_int(name, value)
    return filters


def plain_cnn(
    input_shape=(28, 28, 1),
    filters=(32, 64, 128),
    convs_per_block=2,
    kernel_size=3,
    batch_norm=True,
    dropout=0.0,
    name="plain_cnn",
):
    """A VGG-style CNN: blocks of 3x3 convolutions, each block ending in a 2x2
    max-pool that halves the resolution.

        block(x) = MaxPool(ReLU(BN(Conv(... ReLU(BN(Conv(x))) ...))))

    Args:
        input_shape: `(height, width, channels)` of the float images.
        filters: the filters of each block, bottom to top.
        convs_per_block: convolutions in each block.
        kernel_size: side of the square kernels.
        batch_norm: whether each convolution is followed by batch normalisation
            (the convolution then has no bias).
        dropout: dropout rate after each block's pooling (0 for none).
        name: the model's name.

    Returns:
        A functional `keras.Model` whose output is the last block's feature map,
        `(height / 2^B, width / 2^B, filters[-1])` for B blocks.

    Example:

    >>> backbone = plain_cnn((28, 28, 1), filters=(32, 64))
    >>> backbone.output.shape
    (None, 7, 7, 64)

    References:
        Simonyan and Zisserman, "Very Deep Convolutional Networks for
        Large-Scale Image Recognition", ICLR 2015.
    """
    input_shape = _image_shape(input_shape)
    filters = _filters("filters", filters)
    positive_int("convs_per_block", convs_per_block)
    positive_int("kernel_size", kernel_size)
    rate("dropout", dropout)
    images = keras.Input(shape=input_shape, name="images")
    x = images
    for b, width in enumerate(filters, start=1):
        for c in range(1, convs_per_block + 1):
            x = keras.layers.Conv2D(
                width,
                kernel_size,
                padding="same",
                use_bias=not batch_norm,
                kernel_initializer="he_normal",
                name=f"block{b}_conv{c}",
            )(x)
            if batch_norm:
                x = keras.layers.BatchNormalization(name=f"block{b}_bn{c}")(x)
            x = keras.layers.ReLU(name=f"block{b}_relu{c}")(x)
        x = keras.layers.MaxPooling2D(name=f"block{b}_pool")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"block{b}_dropout")(x)
    return keras.Model(images, x, name=name)


def _pre_activation_block(x, width, stride, prefix, dropout):
    # He et al. (2016), figure 4(e): BN-ReLU before each convolution; the
    # projection shortcut (when the shape changes) reads the pre-activated input.
    pre = keras.layers.BatchNormalization(name=f"{prefix}_bn1")(x)
    pre = keras.layers.ReLU(name=f"{prefix}_relu1")(pre)
    if stride != 1 or x.shape[-1] != width:
        shortcut = keras.layers.Conv2D(
            width,
            1,
            strides=stride,
            use_bias=False,
            kernel_initializer="he_normal",
            name=f"{prefix}_shortcut",
        )(pre)
    else:
        shortcut = x
    y = keras.layers.Conv2D(
        width,
        3,
        strides=stride,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
        name=f"{prefix}_conv1",
    )(pre)
    y = keras.layers.BatchNormalization(name=f"{prefix}_bn2")(y)
    y = keras.layers.ReLU(name=f"{prefix}_relu2")(y)
    if dropout:
        y = keras.layers.Dropout(dropout, name=f"{prefix}_dropout")(y)
    y = keras.layers.Conv2D(
        width,
        3,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
        name=f"{prefix}_conv2",
    )(y)
    return keras.layers.Add(name=f"{prefix}_add")([shortcut, y])


def small_resnet(
    input_shape=(28, 28, 1),
    filters=(32, 64, 128),
    blocks_per_stage=2,
    dropout=0.0,
    name="small_resnet",
):
    """A small pre-activation ResNet (ResNet-v2 blocks) for low-resolution images.

        block(x) = shortcut(x) + Conv(ReLU(BN(Conv(ReLU(BN(x))))))

    A 3x3 stem convolution, then one stage per entry of `filters`; the first
    block of every stage after the first halves the resolution with stride 2
    (and a 1x1 projection shortcut). A final BN-ReLU makes the output a
    post-activation feature map, as in the paper.

    Args:
        input_shape: `(height, width, channels)` of the float images.
        filters: the filters of each stage, bottom to top.
        blocks_per_stage: residual blocks in each stage.
        dropout: dropout rate between the two convolutions of each block
            (as in wide ResNets; 0 for none).
        name: the model's name.

    Returns:
        A functional `keras.Model` whose output is the last stage's feature map,
        `(height / 2^(S-1), width / 2^(S-1), filters[-1])` for S stages.

    Example:

    >>> backbone = small_resnet((28, 28, 1), filters=(16, 32), blocks_per_stage=1)
    >>> backbone.output.shape
    (None, 14, 14, 32)

    References:
        He, Zhang, Ren and Sun, "Identity Mappings in Deep Residual Networks",
        ECCV 2016.
    """
    input_shape = _image_shape(input_shape)
    filters = _filters("filters", filters)
    positive_int("blocks_per_stage", blocks_per_stage)
    rate("dropout", dropout)
    images = keras.Input(shape=input_shape, name="images")
    x = keras.layers.Conv2D(
        filters[0],
        3,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
        name="stem_conv",
    )(images)
    for s, width in enumerate(filters, start=1):
        for b in range(1, blocks_per_stage + 1):
            stride = 2 if (s > 1 and b == 1) else 1
            x = _pre_activation_block(x, width, stride, f"stage{s}_block{b}", dropout)
    x = keras.layers.BatchNormalization(name="final_bn")(x)
    x = keras.layers.ReLU(name="final_relu")(x)
    return keras.Model(images, x, name=name)


def applications_backbone(name, input_shape, weights=None, **kwargs):
    """A `keras.applications` network without its classifier, as a backbone.

    Args:
        name: the constructor's name in `keras.applications`, e.g.
            `"MobileNetV2"` or `"EfficientNetB0"`.
        input_shape: `(height, width, channels)`; most networks need at least
            32x32 and, with ImageNet weights, 3 channels.
        weights: `None` (random initialisation), the path of a local weights
            file for the network without its top, or `"imagenet"` (downloaded
            by Keras: only when the caller asks for it).
        **kwargs: further constructor arguments (e.g. `alpha=0.35` for
            MobileNetV2).

    Returns:
        The functional `keras.Model`, from images to its last feature map.
        Its expected pixel range is the network's own (e.g. [-1, 1] for
        MobileNetV2: `ImageClassifier(scale=1 / 127.5, offset=-1)`; [0, 255]
        for EfficientNet, which rescales inside: `scale=1`).

    Example:

    >>> backbone = applications_backbone("MobileNetV2", (32, 32, 3), alpha=0.35)
    >>> backbone.output.shape
    (None, 1, 1, 1280)
    """
    constructor = (
        getattr(keras.applications, name, None) if isinstance(name, str) else None
    )
    if not callable(constructor):
        raise ValueError(
            f"`name` must name a keras.applications network (e.g. "
            f"{', '.join(_APPLICATION_NAMES[:4])}, ...), got {name!r}."
        )
    input_shape = _image_shape(input_shape)
    if weights is not None and not isinstance(weights, str):
        weights = str(weights)
    return constructor(
        include_top=False, weights=weights, input_shape=input_shape, **kwargs
    )
