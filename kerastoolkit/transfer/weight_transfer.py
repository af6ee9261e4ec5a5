"""Copy trained weights from one model into another, layer by layer."""

import keras


class WeightShapeError(ValueError):
    """Weights that cannot go where they were asked to: the message names the
    layer, the variable and both shapes."""


def _layers_by_name(model):
    found = {}

    def visit(container):
        for layer in container.layers:
            if isinstance(layer, keras.Model):
                visit(layer)
            elif layer.weights:
                found[layer.name] = layer

    visit(model)
    return found


def _short_name(variable):
    return getattr(variable, "path", variable.name).split("/")[-1]


def copy_weights(source, target, skip_missing=False):
    """Copies the weights of every layer of `target` from the same-named layer
    of `source`.

    This is how a model trained on task A seeds a model for task B: build the
    new network with the same layer names (e.g. the same builder), copy the
    backbone, and train a new head. Nested models are searched, so a whole
    classifier can be a source for its backbone. Shapes are all checked before
    anything is assigned: on a mismatch `target` is left unchanged.

    Args:
        source: the trained `keras.Model` (or layer container).
        target: the `keras.Model` to receive the weights; built.
        skip_missing: whether target layers absent from `source` keep their
            weights (else they are an error).

    Returns:
        The names of the layers copied, in `target`'s order.

    Raises:
        WeightShapeError: a layer's weights differ in number or shape, e.g.
            "layer `block2_conv1`: weight `kernel` has shape (3, 3, 32, 64) in
            the source but (3, 3, 16, 64) in the target".
        ValueError: a target layer is missing from `source` (unless
            `skip_missing`).

    Example:

    >>> new_backbone = plain_cnn((28, 28, 1), filters=(32, 64))
    >>> copy_weights(pretrained_classifier.backbone, new_backbone)
    ['block1_conv1', 'block1_bn1', ...]
    """
    for name, model in (("source", source), ("target", target)):
        if not isinstance(model, keras.layers.Layer) or not hasattr(model, "layers"):
            raise ValueError(
                f"`{name}` must be a Keras model, got {type(model).__name__}."
            )
    if not target.built:
        raise ValueError("`target` must be built before weights are copied into it.")
    sources = _layers_by_name(source)
    plan = []
    missing = []
    for name, layer in _layers_by_name(target).items():
        if name not in sources:
            missing.append(name)
            continue
        theirs, ours = sources[name].weights, layer.weights
        if len(theirs) != len(ours):
            raise WeightShapeError(
                f"Cannot copy layer `{name}`: it has {len(theirs)} weights in the "
                f"source ({[_short_name(v) for v in theirs]}) but {len(ours)} in "
                f"the target ({[_short_name(v) for v in ours]})."
            )
        for mine, given in zip(ours, theirs, strict=True):
            if tuple(mine.shape) != tuple(given.shape):
                raise WeightShapeError(
                    f"Cannot copy layer `{name}`: weight `{_short_name(mine)}` has "
                    f"shape {tuple(given.shape)} in the source but "
                    f"{tuple(mine.shape)} in the target."
                )
        plan.append((name, layer, theirs))
    if missing and not skip_missing:
        raise ValueError(
            f"The source has no layers named {missing}; pass skip_missing=True "
            "to keep their weights in the target."
        )
    for _, layer, theirs in plan:
        for mine, given in zip(layer.weights, theirs, strict=True):
            mine.assign(given)
    return [name for name, _, _ in plan]
