"""Load a pretrained backbone from a `.keras` file, a weights file, or a preset.

Nothing here downloads unless the caller names something that only exists
online (a keras-hub preset handle, `weights="imagenet"`): local files and
directories are read from disk.
"""

import re
from pathlib import Path

import keras

from kerastoolkit.models.cnn_builders import applications_backbone

_SHAPES = re.compile(r"variable\.shape=(\([^)]*\)), Received: value\.shape=(\([^)]*\))")
_LAYER = re.compile(r"<\w+ name=([^,>]+)")
HUB_SCHEMES = ("kaggle://", "hf://", "gs://", "modelscope://")
"""Prefixes of the model-hub handles KerasHub downloads (`from_preset`)."""


def _backbone_of(model):
    # An ImageClassifier or a KerasHub task keeps its feature extractor here.
    backbone = getattr(model, "backbone", None)
    return backbone if isinstance(backbone, keras.Model) else model


def load_weights_checked(model, path):
    """`model.load_weights(path)`, with an error that names the misfit layers.

    Args:
        model: a built `keras.Model` of the architecture the file was saved from.
        path: a `.weights.h5` file written by `save_weights`.

    Returns:
        `model`, with the weights loaded.

    Raises:
        ValueError: when shapes do not match, e.g. "... does not fit
            `plain_cnn`: layer `block2_conv1` needs a weight of shape
            (3, 3, 32, 64) but the file holds (3, 3, 32, 128) (layers that do
            not fit: ['block2_conv1', 'block2_bn1'])".
    """
    try:
        model.load_weights(str(path))
    except ValueError as err:
        message = str(err)
        layers = _LAYER.findall(message)
        shapes = _SHAPES.search(message)
        if not layers or not shapes:
            raise ValueError(
                f"The weights in {path} do not fit `{model.name}`: {message[:500]}"
            ) from err
        raise ValueError(
            f"The weights in {path} do not fit `{model.name}`: layer "
            f"`{layers[0]}` needs a weight of shape {shapes.group(1)} but the "
            f"file holds {shapes.group(2)} (layers that do not fit: "
            f"{list(dict.fromkeys(layers))}). Build the same architecture the "
            "file was saved from."
        ) from None
    return model


def load_backbone(source, architecture=None, input_shape=None, weights=None, **kwargs):
    """A backbone, loaded from wherever it was kept.

    `source` is one of:
    - a `.keras` file: the saved model; when it is a classifier with a
      `backbone` (an `ImageClassifier`, a KerasHub task), that backbone;
    - a `.weights.h5` file: its weights loaded into `architecture`, a built
      model of the same structure (checked layer by layer);
    - a keras-hub preset: a local preset directory (with `config.json`, as
      `save_to_preset` writes) or a handle such as
      `"kaggle://keras/resnetv2/keras/resnet_50_v2_imagenet"` (downloaded by
      keras-hub); loaded with `keras_hub.models.Backbone.from_preset`;
    - a `keras.applications` name such as `"MobileNetV2"`: built without its
      top for `input_shape`, with `weights` (`None`, a local file, or
      `"imagenet"`).

    Args:
        source: a path or a name, as above.
        architecture: for a weights file, the model to load it into.
        input_shape: for a `keras.applications` name, `(height, width,
            channels)`.
        weights: for a `keras.applications` name, as in `applications_backbone`.
        **kwargs: passed to `from_preset` or the `keras.applications`
            constructor.

    Returns:
        A `keras.Model` from images to features.

    Raises:
        ValueError: for a source that is none of the above, or weights whose
            shapes do not fit `architecture` (naming the layer).
        FileNotFoundError: for a `.keras` or weights path that does not exist.

    Example:

    >>> backbone = load_backbone("runs/fashion_mnist/model.keras")
    >>> backbone = load_backbone("MobileNetV2", input_shape=(32, 32, 3))
    """
    text = str(source)
    path = Path(text)
    if text.endswith(".keras"):
        if not path.is_file():
            raise FileNotFoundError(f"No saved model at {path}.")
        return _backbone_of(keras.saving.load_model(path))
    if text.endswith(".h5"):
        if not path.is_file():
            raise FileNotFoundError(f"No weights file at {path}.")
        if not isinstance(architecture, keras.Model):
            raise ValueError(
                f"Loading the weights file {path} needs `architecture`, a model "
                f"of the same structure, got {type(architecture).__name__}."
            )
        return load_weights_checked(architecture, path)
    if (path.is_dir() and (path / "config.json").is_file()) or text.startswith(
        HUB_SCHEMES
    ):
        import keras_hub

        return keras_hub.models.Backbone.from_preset(text, **kwargs)
    if callable(getattr(keras.applications, text, None)):
        if input_shape is None:
            raise ValueError(
                f"Building keras.applications.{text} needs `input_shape`, e.g. "
                "(96, 96, 3)."
            )
        return applications_backbone(text, input_shape, weights=weights, **kwargs)
    raise ValueError(
        "`source` must be a .keras file, a .weights.h5 file, a keras-hub preset "
        "directory or handle, or a keras.applications name (e.g. 'MobileNetV2'), "
        f"got {source!r}."
    )
