"""The RoBERTa fine-tuning recipe: AdamW with linear warm-up and decay,
optional layer-wise learning-rate decay, early stopping on a validation split.

Layer-wise learning-rate decay (LLRD) gives the classification head the full
rate and each Transformer layer below it a factor `layer_decay` less:

    lr_head = lr(t)
    lr_layer_i = lr(t) * layer_decay ** (L - i)      i = 0 .. L-1 (bottom = 0)
    lr_embeddings = lr(t) * layer_decay ** (L + 1)

where lr(t) is the `LinearWarmupDecay` schedule. The lower layers hold the
most general features and move least. With Adam the rate must be scaled, not
the gradient: Adam's update `m_hat / (sqrt(v_hat) + eps)` does not change
when a gradient is multiplied by a constant, so gradient scaling would do
nothing. `LayerwiseAdamW` scales the rate per variable, for both the Adam
step and the decoupled weight decay (`w -= lr * multiplier * wd * w`), as
per-parameter-group rates do in PyTorch.

References:
    Liu et al., RoBERTa: A Robustly Optimized BERT Pretraining Approach, 2019
    (fine-tuning: AdamW, 6% linear warm-up, linear decay, weight decay 0.1).
    Clark et al., ELECTRA, 2020, and Sun et al., How to Fine-Tune BERT for
    Text Classification?, 2019 (layer-wise learning-rate decay).
    Loshchilov and Hutter, Decoupled Weight Decay Regularization, 2019.
"""

import contextlib
import math

import keras
import numpy as np

from kerastoolkit.training.layerwise_adamw import LayerwiseAdamW
from kerastoolkit.training.learning_rate_schedules import LinearWarmupDecay
from kerastoolkit.transfer.roberta.token_packing import fast_token_ids, pack_token_ids
from kerastoolkit.utils.argument_checks import non_negative_int, positive_int, rate


def layerwise_learning_rate_multipliers(classifier, layer_decay):
    """Per-variable learning-rate factors for layer-wise decay.

    The head (every trainable variable of `classifier` outside its backbone)
    gets 1, Transformer layer `i` of `L` gets `layer_decay ** (L - i)`, and
    the embeddings (token, position, their LayerNorm) `layer_decay ** (L + 1)`.

    Args:
        classifier: a KerasHub task with a RoBERTa-like `backbone` (one with
            `transformer_layers`).
        layer_decay: the factor per layer, in (0, 1].

    Returns:
        A dict from `variable.path` to its multiplier, for `LayerwiseAdamW`.
    """
    if (
        isinstance(layer_decay, bool)
        or not isinstance(layer_decay, (int, float))
        or not 0 < layer_decay <= 1
    ):
        raise ValueError(f"`layer_decay` must be in (0, 1], got {layer_decay!r}.")
    backbone = getattr(classifier, "backbone", None)
    layers = getattr(backbone, "transformer_layers", None)
    if layers is None:
        raise ValueError(
            "`classifier` must have a `backbone` with `transformer_layers` (a "
            f"KerasHub RoBERTa task), got {type(classifier).__name__}."
        )
    depth = len(layers)
    multipliers = {}
    layer_of = {}
    for index, layer in enumerate(layers):
        for variable in layer.trainable_variables:
            layer_of[id(variable)] = index
    backbone_ids = {id(v) for v in backbone.trainable_variables}
    for variable in classifier.trainable_variables:
        if id(variable) in layer_of:
            factor = layer_decay ** (depth - layer_of[id(variable)])
        elif id(variable) in backbone_ids:
            factor = layer_decay ** (depth + 1)
        else:
            factor = 1.0
        multipliers[variable.path] = float(factor)
    return multipliers


def fine_tuning_dtype(mixed_precision=None):
    """The dtype policy of the recipe: mixed precision only on a GPU.

    Args:
        mixed_precision: `None` (the default) uses `"mixed_float16"` when a
            GPU is visible and `"float32"` otherwise; `False` always
            `"float32"`; `True` always `"mixed_float16"` (slow on a CPU).

    Returns:
        A dtype policy name, for `load_roberta_classifier(dtype=...)`.
    """
    if mixed_precision is None:
        import tensorflow as tf

        mixed_precision = bool(tf.config.list_physical_devices("GPU"))
    if not isinstance(mixed_precision, bool):
        raise ValueError(
            f"`mixed_precision` must be None, True or False, got {mixed_precision!r}."
        )
    return "mixed_float16" if mixed_precision else "float32"


def warmup_adamw(
    total_steps,
    *,
    peak_learning_rate,
    warmup_fraction,
    weight_decay,
    learning_rate_multipliers=None,
    clipnorm=None,
):
    """The RoBERTa optimizer: `LayerwiseAdamW` on a linear warm-up and decay.

    `LinearWarmupDecay(peak_learning_rate, warmup_steps, total_steps)` with
    `warmup_steps = max(1, round(warmup_fraction * total_steps))` (at most
    `total_steps - 1`); no weight decay on biases and LayerNorm. Used for
    fine-tuning (`compile_for_fine_tuning`) and masked-LM pretraining.
    """
    if isinstance(total_steps, bool) or not isinstance(total_steps, int):
        raise ValueError(f"`total_steps` must be an integer >= 2, got {total_steps!r}.")
    if total_steps < 2:
        raise ValueError(f"`total_steps` must be an integer >= 2, got {total_steps!r}.")
    rate("warmup_fraction", warmup_fraction)
    warmup_steps = min(total_steps - 1, max(1, round(warmup_fraction * total_steps)))
    return LayerwiseAdamW(
        LinearWarmupDecay(peak_learning_rate, warmup_steps, total_steps),
        learning_rate_multipliers=learning_rate_multipliers,
        weight_decay=weight_decay,
        clipnorm=clipnorm,
    )


@contextlib.contextmanager
def preprocessing_detached(task):
    """Runs the block with `task.preprocessor` set to None, then puts it back.

    For `fit`/`predict` on batches that are already tokenised and packed, so
    the KerasHub task does not preprocess them a second time.
    """
    preprocessor = task.preprocessor
    task.preprocessor = None
    try:
        yield task
    finally:
        task.preprocessor = preprocessor


def compile_for_fine_tuning(
    classifier,
    total_steps,
    *,
    peak_learning_rate=2e-5,
    warmup_fraction=0.06,
    weight_decay=0.1,
    layer_decay=None,
    clipnorm=None,
):
    """Compiles `classifier` with the RoBERTa recipe.

    AdamW (`LayerwiseAdamW`, with the layer-wise multipliers when
    `layer_decay` is given) on `LinearWarmupDecay(peak_learning_rate,
    warmup_steps, total_steps)`, `warmup_steps = max(1, round(warmup_fraction
    * total_steps))`; no weight decay on biases and LayerNorm; sparse
    categorical cross-entropy (from logits unless the classifier's activation
    is a softmax) and accuracy.

    Args:
        classifier: a RoBERTa text classifier (e.g. `load_roberta_classifier`).
        total_steps: optimizer steps of the whole run (> warm-up steps).
        peak_learning_rate: the rate at the end of the warm-up.
        warmup_fraction: the share of `total_steps` spent warming up, in [0, 1).
        weight_decay: the decoupled weight decay.
        layer_decay: `None` for one rate everywhere, or the LLRD factor.
        clipnorm: optional gradient-norm clipping.

    Returns:
        The optimizer.
    """
    multipliers = (
        None
        if layer_decay is None
        else layerwise_learning_rate_multipliers(classifier, layer_decay)
    )
    optimizer = warmup_adamw(
        total_steps,
        peak_learning_rate=peak_learning_rate,
        warmup_fraction=warmup_fraction,
        weight_decay=weight_decay,
        learning_rate_multipliers=multipliers,
        clipnorm=clipnorm,
    )
    activation = getattr(classifier, "activation", None)
    from_logits = activation is None or activation is keras.activations.linear
    classifier.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return optimizer


def preprocess_batches(
    classifier, sentences, labels=None, batch_size=32, shuffle=False, seed=0
):
    """Tokenises and packs `sentences` once, as a batched `tf.data.Dataset`.

    The ids are those of `classifier.preprocessor` (same tokenizer, same
    packing, see `fast_token_ids` and `pack_token_ids`).

    Args:
        classifier: a KerasHub RoBERTa text classifier with a `preprocessor`.
        sentences: a list of strings.
        labels: optional integer labels.
        batch_size: examples per batch.
        shuffle: reshuffle each epoch (with `seed`).
        seed: the shuffling seed.

    Returns:
        A dataset of `(features, labels)` or of `features`, ready for a
        classifier whose `preprocessor` is set aside (see `fine_tune_roberta`).
    """
    import tensorflow as tf

    preprocessor = classifier.preprocessor
    if preprocessor is None:
        raise ValueError("`classifier` must have a `preprocessor` to tokenise text.")
    tokenizer = preprocessor.tokenizer
    features = pack_token_ids(
        fast_token_ids(tokenizer, sentences), preprocessor.sequence_length, tokenizer
    )
    elements = features if labels is None else (features, np.asarray(labels))
    dataset = tf.data.Dataset.from_tensor_slices(elements)
    if shuffle:
        dataset = dataset.shuffle(
            len(sentences), seed=seed, reshuffle_each_iteration=True
        )
    return dataset.batch(batch_size).prefetch(2)


def fine_tune_roberta(
    classifier,
    train,
    validation,
    *,
    epochs=3,
    batch_size=32,
    peak_learning_rate=2e-5,
    warmup_fraction=0.06,
    weight_decay=0.1,
    layer_decay=None,
    clipnorm=None,
    patience=2,
    seed=0,
    callbacks=(),
    verbose=0,
):
    """Fine-tunes a RoBERTa classifier with the recipe and early stopping.

    The sentences are tokenised once (`preprocess_batches`); the classifier
    is compiled with `compile_for_fine_tuning` for `epochs * steps_per_epoch`
    steps and fit with `EarlyStopping` on the validation accuracy, restoring
    the best epoch's weights.

    Args:
        classifier: from `load_roberta_classifier` (its `preprocessor` is kept).
        train: `(sentences, labels)`.
        validation: `(sentences, labels)` for early stopping.
        epochs: the most epochs.
        batch_size: examples per step.
        peak_learning_rate: as in `compile_for_fine_tuning`.
        warmup_fraction: as in `compile_for_fine_tuning`.
        weight_decay: as in `compile_for_fine_tuning`.
        layer_decay: as in `compile_for_fine_tuning`.
        clipnorm: as in `compile_for_fine_tuning`.
        patience: epochs without a better validation accuracy before stopping.
        seed: the shuffling seed.
        callbacks: more Keras callbacks.
        verbose: `fit` verbosity.

    Returns:
        The `History.history` dict.

    Example:

    >>> classifier = load_roberta_classifier("runs/pretrained", 2, sequence_length=64)
    >>> history = fine_tune_roberta(classifier, (x, y), (x_val, y_val), epochs=3)
    """
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        positive_int(name, value)
    non_negative_int("patience", patience)
    train_data = preprocess_batches(classifier, *train, batch_size, True, seed)
    validation_data = preprocess_batches(classifier, *validation, batch_size)
    steps_per_epoch = math.ceil(len(train[0]) / batch_size)
    compile_for_fine_tuning(
        classifier,
        max(2, epochs * steps_per_epoch),
        peak_learning_rate=peak_learning_rate,
        warmup_fraction=warmup_fraction,
        weight_decay=weight_decay,
        layer_decay=layer_decay,
        clipnorm=clipnorm,
    )
    stopping = keras.callbacks.EarlyStopping(
        monitor="val_accuracy",
        mode="max",
        patience=patience,
        restore_best_weights=True,
    )
    with preprocessing_detached(classifier):
        history = classifier.fit(
            train_data,
            validation_data=validation_data,
            epochs=epochs,
            callbacks=[stopping, *callbacks],
            verbose=verbose,
        )
    return history.history


def predict_probabilities(classifier, sentences, batch_size=128):
    """Class probabilities of `classifier` for `sentences`, as numpy."""
    dataset = preprocess_batches(classifier, sentences, batch_size=batch_size)
    with preprocessing_detached(classifier):
        outputs = classifier.predict(dataset, verbose=0)
    activation = getattr(classifier, "activation", None)
    if activation is None or activation is keras.activations.linear:
        outputs = keras.ops.convert_to_numpy(keras.ops.softmax(outputs, axis=-1))
    return np.asarray(outputs)
