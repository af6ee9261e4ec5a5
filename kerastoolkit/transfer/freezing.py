"""Freeze a backbone, and unfreeze its top blocks for fine-tuning.

Keras semantics these rely on: a layer with `trainable = False` keeps its
weights out of `trainable_weights`, so `fit` leaves them alone, and a frozen
`BatchNormalization` layer runs in inference mode (it normalises with its
moving statistics and does not update them). A change of `trainable` takes
effect at the next `compile()`.
"""

import re

import keras

from kerastoolkit.utils.argument_checks import non_negative_int

# `block3_conv1` -> `block3`, `stage2_block1_add` -> `stage2_block1`,
# MobileNetV2's `block_16_project` -> `block_16`, EfficientNet's `block7a_se`
# -> `block7a`, ResNet50's `conv5_block3_out` -> `conv5_block3`.
_BLOCK = re.compile(r"^(.*?block_?\d+[a-z]?)(?:_|$)")


def block_name(layer_name):
    """The block a layer belongs to, by the Keras naming convention.

    Args:
        layer_name: e.g. `"block3_conv1"` or `"stage2_block1_conv2"`.

    Returns:
        The block's name (`"block3"`, `"stage2_block1"`), or `layer_name`
        itself for a layer outside any block (a stem or a final norm).
    """
    match = _BLOCK.match(layer_name)
    return match.group(1) if match else layer_name


def _leaf_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def layer_blocks(model):
    """The weight-bearing layers of `model` grouped into blocks, bottom to top.

    Nested models are searched; consecutive layers with the same `block_name`
    form one block; layers without weights (activations, pooling) are left out.

    Returns:
        A list of `(block_name, [layers])`, in the model's layer order.
    """
    blocks = []
    for layer in _leaf_layers(model):
        if not layer.weights:
            continue
        name = block_name(layer.name)
        if blocks and blocks[-1][0] == name:
            blocks[-1][1].append(layer)
        else:
            blocks.append((name, [layer]))
    return blocks


def freeze(model):
    """Freezes every weight of `model` (BatchNormalization then runs in
    inference mode). Re-`compile` the model that contains it afterwards.

    Returns:
        `model`.
    """
    if not isinstance(model, keras.layers.Layer):
        raise ValueError(
            f"`model` must be a Keras layer or model, got {type(model).__name__}."
        )
    model.trainable = False
    return model


def unfreeze_top(model, blocks=None, layers=None, keep_batchnorm_frozen=True):
    """Makes only the top of `model` trainable, for fine-tuning.

    Give exactly one of `blocks` (count of `layer_blocks`, from the top) or
    `layers` (count of weight-bearing layers, from the top). Everything below
    is frozen. BatchNormalization layers stay frozen, in inference mode, unless
    `keep_batchnorm_frozen` is false: updating their statistics from small
    fine-tuning batches would wreck what the pretrained layers above them
    learned (the Keras transfer-learning guide's advice).

    Args:
        model: the backbone (a `keras.Model`).
        blocks: how many top blocks to unfreeze.
        layers: how many top weight-bearing layers to unfreeze.
        keep_batchnorm_frozen: whether BatchNormalization layers stay frozen.

    Returns:
        The names of the layers made trainable, bottom to top.

    Example:

    >>> freeze(classifier.backbone)  # train the head first, then:
    >>> unfreeze_top(classifier.backbone, blocks=1)
    ['block3_conv1', 'block3_conv2']
    >>> classifier.compile(keras.optimizers.Adam(1e-4), ...)  # lower rate
    """
    if (blocks is None) == (layers is None):
        raise ValueError(
            f"Give exactly one of `blocks` or `layers`, got blocks={blocks!r}, "
            f"layers={layers!r}."
        )
    count, what = (blocks, "blocks") if blocks is not None else (layers, "layers")
    non_negative_int(what, count)
    groups = layer_blocks(model)
    if what == "layers":
        groups = [(layer.name, [layer]) for _, group in groups for layer in group]
    if count > len(groups):
        raise ValueError(
            f"`{what}`={count} is more than the {len(groups)} {what} of {model.name}."
        )
    # A frozen container hides its sub-layers' weights: open it, then close
    # everything below the top.
    model.trainable = True
    top = groups[len(groups) - count :] if count else []
    for _, group in groups[: len(groups) - count]:
        for layer in group:
            layer.trainable = False
    unfrozen = []
    for _, group in top:
        for layer in group:
            frozen_bn = keep_batchnorm_frozen and isinstance(
                layer, keras.layers.BatchNormalization
            )
            layer.trainable = not frozen_bn
            if not frozen_bn:
                unfrozen.append(layer.name)
    if keep_batchnorm_frozen:
        for layer in _leaf_layers(model):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
    return unfrozen
