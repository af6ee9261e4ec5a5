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
       `head_learning_rate`.
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
        head_epochs: epochs of phase 1.
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
        A dict with the `History.history` of each phase run: `"head"` and, when
        `fine_tune_epochs > 0`, `"fine_tune"`.

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
    if not _contains(model, backbone):
        raise ValueError(
            f"`backbone` ({backbone.name}) must be a part of `model` ({model.name})."
        )
    histories = {}
    freeze(backbone)
    model.compile(
        optimizer=keras.optimizers.Adam(head_learning_rate),
        loss=loss,
        metrics=list(metrics),
    )
    history = model.fit(x, y, epochs=head_epochs, **fit_kwargs)
    histories["head"] = history.history
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
