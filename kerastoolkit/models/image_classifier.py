"""An image classifier that takes raw `uint8` images: preprocessing, optional
augmentation, a convolutional backbone and a softmax head in one model."""

import keras
from keras import ops

from kerastoolkit.models.submodel_config import serialize_submodel
from kerastoolkit.utils import argument_checks

POOLINGS = ("avg", "max", "flatten")

# ITU-R BT.601 luma weights, as `tf.image.rgb_to_grayscale` rounds them.
_LUMA = (0.2989, 0.5870, 0.1140)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class ChannelAdapter(keras.layers.Layer):
    """Converts images between grayscale, RGB and RGBA, channels last (a
    grayscale image without a channel axis gets one).

        1 -> 3: the gray value repeated;   3 -> 1: luma 0.2989 R + 0.587 G + 0.114 B;
        4 -> 3: alpha dropped;             4 -> 1: luma of RGB.

    Args:
        channels: the number of channels to produce: 1 or 3.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: float images `(batch, height, width, c)` with c in (1, 3, 4),
            or grayscale `(batch, height, width)`.

    Returns:
        `(batch, height, width, channels)`.
    """

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        if channels not in (1, 3):
            raise ValueError(f"`channels` must be 1 or 3, got {channels!r}.")
        self.channels = channels

    def build(self, input_shape):
        if len(input_shape) == 4 and input_shape[-1] not in (1, 3, 4):
            raise ValueError(
                f"ChannelAdapter takes 1, 3 or 4 channels, got {input_shape[-1]}."
            )

    def call(self, inputs):
        if len(inputs.shape) == 3:
            inputs = ops.expand_dims(inputs, -1)
        have = inputs.shape[-1]
        if have == self.channels:
            return inputs
        if self.channels == 3:
            if have == 1:
                return ops.repeat(inputs, 3, axis=-1)
            return inputs[..., :3]
        weights = ops.convert_to_tensor(_LUMA, dtype=inputs.dtype)
        return ops.sum(inputs[..., :3] * weights, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:3], self.channels)

    def get_config(self):
        config = super().get_config()
        config.update(channels=self.channels)
        return config


def _as_layer_list(augmentation):
    if augmentation is None:
        return []
    if isinstance(augmentation, keras.layers.Layer):
        return [augmentation]
    layers = list(augmentation)
    for layer in layers:
        if not isinstance(layer, keras.layers.Layer):
            raise ValueError(
                "`augmentation` must be a Keras layer or a list of layers, got an "
                f"element of type {type(layer).__name__}."
            )
    return layers


def _check_class_names(class_names, num_classes):
    if class_names is None:
        return tuple(str(i) for i in range(num_classes))
    names = tuple(class_names)
    if len(names) != num_classes:
        raise ValueError(
            f"`class_names` must hold num_classes={num_classes} names, got "
            f"{len(names)}."
        )
    if not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(
        names
    ):
        raise ValueError(
            f"`class_names` must be distinct non-empty strings, got {names!r}."
        )
    return names


@keras.saving.register_keras_serializable(package="kerastoolkit")
class ImageClassifier(keras.Model):
    """A classifier of raw `uint8` images around any convolutional backbone.

        p(y | image) = softmax(W pool(backbone(augment(resize(channels(
                           scale * image + offset))))) + b)

    Everything a deployed model needs happens inside it: the cast to float and
    rescaling, the conversion between grayscale and RGB, the resize to the
    backbone's input size, so the exported SavedModel takes raw pixels. The
    `augmentation` layers (Keras preprocessing layers such as `RandomFlip`,
    `RandomTranslation`) act only in training: Keras's random image layers are
    the identity when `training` is false (`predict`, `evaluate`, export).

    Args:
        backbone: a functional `keras.Model` from float images `(height, width,
            channels)` to a feature map (or a feature vector), e.g. from
            `kerastoolkit.models.cnn_builders`.
        num_classes: the number of classes.
        image_shape: the shape of one raw image, `(height, width)` for
            grayscale or `(height, width, channels)`; `None` for a side of
            variable size (it is then resized).
        class_names: the class names, indexed by label (default `"0"`, `"1"`,
            ...); the SavedModel returns them.
        scale: pixels become `scale * pixel + offset` (`1 / 255` gives [0, 1],
            `1 / 127.5` with `offset=-1` gives [-1, 1]).
        offset: see `scale`.
        image_size: `(height, width)` the images are resized to; by default
            the backbone's input size when it has one.
        augmentation: a Keras layer or list of layers applied after resizing,
            in training only.
        pooling: how the feature map becomes a vector: `"avg"`, `"max"` or
            `"flatten"` (ignored when the backbone returns a vector).
        dropout: dropout rate before the classifier layer.
        activation: the output activation (`"softmax"` for probabilities).
        **kwargs: base model arguments (`name`, ...).

    Call arguments:
        inputs: `uint8` images `(batch, *image_shape)`.
        training: whether augmentation and dropout are active.

    Returns:
        Class probabilities, `(batch, num_classes)`.

    Example:

    >>> backbone = plain_cnn((28, 28, 1), filters=(32, 64))
    >>> classifier = ImageClassifier(backbone, 10, image_shape=(28, 28))
    >>> classifier.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    >>> classifier.fit(x_train_uint8, y_train)  # doctest: +SKIP
    >>> export_saved_model(  # doctest: +SKIP
    ...     classifier, "saved_models/fashion", endpoints=classifier.serving_endpoints()
    ... )

    References:
        The KerasHub `ImageClassifier` task, whose structure (a backbone plus a
        head, serialised by its sub-models) this follows.
    """

    def __init__(
        self,
        backbone,
        num_classes,
        image_shape=(28, 28),
        class_names=None,
        scale=1.0 / 255.0,
        offset=0.0,
        image_size=None,
        augmentation=None,
        pooling="avg",
        dropout=0.0,
        activation="softmax",
        **kwargs,
    ):
        if not isinstance(backbone, keras.Model) or len(backbone.inputs or ()) != 1:
            raise ValueError(
                "`backbone` must be a functional keras.Model with one image input, "
                f"got {type(backbone).__name__}."
            )
        backbone_shape = tuple(backbone.inputs[0].shape[1:])
        if len(backbone_shape) != 3 or backbone_shape[-1] is None:
            raise ValueError(
                "`backbone` must take images (height, width, channels) with known "
                f"channels, got input shape {backbone_shape}."
            )
        if isinstance(num_classes, bool) or not isinstance(num_classes, int):
            raise ValueError(
                f"`num_classes` must be an integer >= 2, got {num_classes!r}."
            )
        if num_classes < 2:
            raise ValueError(
                f"`num_classes` must be an integer >= 2, got {num_classes!r}."
            )
        image_shape = tuple(image_shape)
        if len(image_shape) not in (2, 3) or (
            len(image_shape) == 3 and image_shape[-1] not in (1, 3, 4)
        ):
            raise ValueError(
                "`image_shape` must be (height, width) or (height, width, channels) "
                f"with 1, 3 or 4 channels, got {image_shape!r}."
            )
        if image_size is not None:
            image_size = tuple(image_size)
            if len(image_size) != 2:
                raise ValueError(
                    f"`image_size` must be (height, width), got {image_size!r}."
                )
        if pooling not in POOLINGS:
            raise ValueError(f"`pooling` must be one of {POOLINGS}, got {pooling!r}.")
        argument_checks.rate("dropout", dropout)
        class_names = _check_class_names(class_names, num_classes)
        augmentation = _as_layer_list(augmentation)
        target_size = image_size or backbone_shape[:2]

        # The functional graph, built the KerasHub way: the model's config
        # holds its arguments, not this graph, which __init__ rebuilds.
        images = keras.Input(shape=image_shape, dtype="uint8", name="images")
        x = keras.layers.Rescaling(scale, offset, name="rescaling")(images)
        if len(image_shape) == 2 or x.shape[-1] != backbone_shape[-1]:
            x = ChannelAdapter(backbone_shape[-1], name="channels")(x)
        if None not in target_size and tuple(x.shape[1:3]) != tuple(target_size):
            x = keras.layers.Resizing(*target_size, name="resizing")(x)
        for layer in augmentation:
            x = layer(x)
        features = backbone(x)
        if len(features.shape) == 4:
            if pooling == "avg":
                features = keras.layers.GlobalAveragePooling2D(name="pooling")(features)
            elif pooling == "max":
                features = keras.layers.GlobalMaxPooling2D(name="pooling")(features)
            else:
                features = keras.layers.Flatten(name="pooling")(features)
        if dropout:
            features = keras.layers.Dropout(dropout, name="head_dropout")(features)
        head = keras.layers.Dense(
            num_classes, activation=activation, dtype="float32", name="predictions"
        )
        outputs = head(features)
        super().__init__(inputs=images, outputs=outputs, **kwargs)

        self.backbone = backbone
        self.head = head
        self.num_classes = num_classes
        self.image_shape = image_shape
        self.class_names = class_names
        self.scale = float(scale)
        self.offset = float(offset)
        self.image_size = image_size
        self.augmentation = augmentation
        self.pooling = pooling
        self.dropout = float(dropout)
        self.activation = activation
        # Maps predicted indices to names in the SavedModel (a lookup table,
        # tracked by the model so that the export carries it).
        self.class_name_lookup = keras.layers.StringLookup(
            vocabulary=list(class_names),
            invert=True,
            num_oov_indices=0,
            name="class_name_lookup",
        )

    def call(self, inputs, training=False, mask=None):
        argument_checks.tensor_argument(
            "images", inputs, ndim=len(self.image_shape) + 1, kinds=("int", "float")
        )
        # Keras's random image layers default to `training=True`; a plain call
        # (and the exported `serve` endpoint, which passes no `training`) must
        # not augment.
        return super().call(inputs, training=training, mask=mask)

    def predict_class_names(self, images):
        """The most probable class name of each image, as a list of `str`."""
        probabilities = self.predict(images, verbose=0)
        return [self.class_names[i] for i in probabilities.argmax(axis=-1)]

    def serving_endpoints(self):
        """Named SavedModel signatures, for `kerastoolkit.export.export_saved_model`.

        - `serving_default(images)`: raw `uint8` images of `image_shape`, any
          batch size, to `{"probabilities": (batch, num_classes) float32,
          "class_names": (batch,) string}`, the name of the most probable class
          of each image;
        - `serve(images)`: the same images to `{"probabilities": ...}` only.

        Images of another rank or size fail with `InvalidArgumentError`
        naming `images` (`kerastoolkit.export.input_checks`).

        Returns:
            A dict from endpoint name to `(function, input_signature)`.
        """

        def probabilities(images):
            return {"probabilities": self(images, training=False)}

        def classify(images):
            probabilities = self(images, training=False)
            indices = ops.argmax(probabilities, axis=-1)
            return {
                "probabilities": probabilities,
                "class_names": self.class_name_lookup(indices),
            }

        signature = [
            keras.InputSpec(
                shape=(None, *self.image_shape), dtype="uint8", name="images"
            )
        ]
        return {
            "serve": (probabilities, signature),
            "serving_default": (classify, signature),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            backbone=serialize_submodel(self.backbone),
            num_classes=self.num_classes,
            image_shape=self.image_shape,
            class_names=self.class_names,
            scale=self.scale,
            offset=self.offset,
            image_size=self.image_size,
            augmentation=[serialize_submodel(a) for a in self.augmentation],
            pooling=self.pooling,
            dropout=self.dropout,
            activation=keras.activations.serialize(
                keras.activations.get(self.activation)
            ),
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        config["augmentation"] = [
            keras.saving.deserialize_keras_object(a)
            for a in config.get("augmentation") or []
        ]
        if isinstance(config.get("activation"), dict):
            config["activation"] = keras.activations.deserialize(config["activation"])
        return cls(**config)
