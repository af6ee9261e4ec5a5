"""Two-phase fine-tuning: train a new head on a frozen backbone, then the top
blocks too, at a lower learning rate."""

import keras

from kerastoolkit.transfer.freezing import freeze, unfreeze_top
from kerastoolkit.utils.argument_checks import non_negative_int


def _contains(model, part):
    return any(
        layer is part or (hasattr(layer, "layers") and _contains(layer, part))
        for layer in getattr(model, "layers", ())
    )


def linear_probe(
    model,
    backbone,
    x,
    y=None,
    epochs=5,
    learning_rate=1e-3,
    loss="sparse_categorical_crossentropy",
    metrics=("accuracy",),
    **fit_kwargs,
):
    """Trains the head of `model` on the frozen features of `backbone`.

    The linear probe of representation learning: `backbone` frozen (its
    BatchNormalization in inference mode), so only the layers of `model`
    outside it train, with Adam at `learning_rate`. With an `ImageClassifier`
    the head is one Dense softmax layer on the pooled features: a linear
    classifier of what the backbone learned. It is also phase 1 of
    `fine_tune`.

    Args:
        model: the model to train, containing `backbone`.
        backbone: the pretrained part of `model`, kept frozen.
        x: training inputs, or a dataset, as `model.fit` takes them.
        y: training targets (unless `x` is a dataset).
        epochs: training epochs.
        learning_rate: a float or a
            `keras.optimizers.schedules.LearningRateSchedule`.
        loss: the loss, as `compile` takes it.
        metrics: the metrics, as `compile` takes them.
        **fit_kwargs: further `fit` arguments.

    Returns:
        The `History.history` dict of the run.

    Example:

    >>> classifier = ImageClassifier(backbone, 10)  # a new head
    >>> linear_probe(classifier, backbone, x, y, epochs=10)
    >>> classifier.evaluate(x_test, y_test)  # the probe's accuracy
    """
    non_negative_int("epochs", epochs)
    _check_contains(model, backbone)
    freeze(backbone)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=loss,
        metrics=list(metrics),
    )
    return model.fit(x, y, epochs=epochs, **fit_kwargs).history


def _check_contains(model, backbone):
    if not _contains(model, backbone):
        raise ValueError(
            f"`backbone` ({backbone.name}) must be a part of `model` ({model.name})."
        )


def fine_tune(
    model,
    backbone,
    x,
    y=None,
    head_epochs=5,
    fine_tune_epochs=5,
    head_learning_rate=1e-3,
    fine_tune_learning_rate=1e-4,
    unfreeze_blocks=1,
    keep_batchnorm_frozen=True,
    loss="sparse_categorical_crossentropy",
    metrics=("accuracy",),
    **fit_kwargs,
):
    """Trains `model` in the two phases of transfer learning.

    1. `backbone` frozen (its BatchNormalization in inference mode); the rest
       of `model` (the new head) trains for `head_epochs` with Adam at
       `head_learning_rate` (`linear_probe`).
    2. The top `unfreeze_blocks` blocks of `backbone` (see
       `kerastoolkit.transfer.unfreeze_top`; BatchNormalization stays frozen
       unless `keep_batchnorm_frozen` is false)
       train with the head for `fine_tune_epochs` more epochs, with Adam at the
       lower `fine_tune_learning_rate`, so that the pretrained features move
       only a little.

    The model is compiled anew for each phase (a change of `trainable` takes
    effect at `compile`). Epochs are numbered on from phase 1 to phase 2.

    Args:
        model: the model to train, containing `backbone`.
        backbone: the pretrained part of `model`.
        x: training inputs, or a dataset, as `model.fit` takes them.
        y: training targets (unless `x` is a dataset).
        head_epochs: epochs of phase 1 (0 to skip it: a head already trained,
            e.g. by `linear_probe`, goes straight to phase 2).
        fine_tune_epochs: epochs of phase 2 (0 to skip it).
        head_learning_rate: Adam's learning rate in phase 1: a float or a
            `keras.optimizers.schedules.LearningRateSchedule` (which counts
            steps from the start of the phase).
        fine_tune_learning_rate: Adam's learning rate in phase 2, likewise.
        unfreeze_blocks: top blocks of `backbone` trained in phase 2.
        keep_batchnorm_frozen: whether BatchNormalization layers stay frozen
            (in inference mode) in phase 2, as Keras advises; `False` lets
            those of the unfrozen blocks adapt their statistics to task B.
        loss: the loss, as `compile` takes it.
        metrics: the metrics, as `compile` takes them.
        **fit_kwargs: further `fit` arguments (`batch_size`, `validation_data`,
            `callbacks`, `verbose`, ...).

    Returns:
        A dict with the `History.history` of each phase run: `"head"` when
        `head_epochs > 0` and `"fine_tune"` when `fine_tune_epochs > 0`.

    Example:

    >>> backbone = load_backbone("runs/fashion_mnist/model.keras")
    >>> classifier = ImageClassifier(backbone, 10)  # a new head
    >>> histories = fine_tune(classifier, backbone, x, y, head_epochs=10)
    """
    for name, value in (
        ("head_epochs", head_epochs),
        ("fine_tune_epochs", fine_tune_epochs),
    ):
        non_negative_int(name, value)
    _check_contains(model, backbone)
    histories = {}
    if head_epochs:
        histories["head"] = linear_probe(
            model,
            backbone,
            x,
            y,
            epochs=head_epochs,
            learning_rate=head_learning_rate,
            loss=loss,
            metrics=metrics,
            **fit_kwargs,
        )
    if fine_tune_epochs:
        unfreeze_top(
            backbone,
            blocks=unfreeze_blocks,
            keep_batchnorm_frozen=keep_batchnorm_frozen,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(fine_tune_learning_rate),
            loss=loss,
            metrics=list(metrics),
        )
        history = model.fit(
            x,
            y,
            epochs=head_epochs + fine_tune_epochs,
            initial_epoch=head_epochs,
            **fit_kwargs,
        )
        histories["fine_tune"] = history.history
    return histories
