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

from kerastoolkit.layers.argument_checks import non_negative_int, positive_int, rate
from kerastoolkit.training.learning_rate_schedules import LinearWarmupDecay

NO_DECAY_NAMES = ("bias", "gamma", "beta")
"""Variables whose names contain these get no weight decay (biases, LayerNorm)."""


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LayerwiseAdamW(keras.optimizers.AdamW):
    """AdamW whose learning rate is multiplied per variable.

    For a variable with multiplier `m` (1 when it has none), one step is

        w <- w - lr(t) * m * wd * w                (decoupled weight decay)
        w <- Adam(w, g; learning rate lr(t) * m)

    which is exactly `AdamW(learning_rate=lr * m)` applied to that variable.

    Args:
        learning_rate: a float or a `LearningRateSchedule`.
        learning_rate_multipliers: a dict from variable path (`variable.path`,
            e.g. `"transformer_layer_0/self_attention_layer/query/kernel"`)
            to a positive factor on the learning rate; paths not listed get 1.
        no_decay_names: variables whose name contains one of these get no
            weight decay.
        weight_decay: the decoupled weight decay factor.
        **kwargs: the other `keras.optimizers.AdamW` arguments (`beta_1`,
            `beta_2`, `epsilon`, `clipnorm`, ...).

    Example:

    >>> multipliers = layerwise_learning_rate_multipliers(classifier, 0.8)
    >>> optimizer = LayerwiseAdamW(LinearWarmupDecay(2e-5, 60, 1000), multipliers)

    References:
        Loshchilov and Hutter, Decoupled Weight Decay Regularization, 2019.
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_multipliers=None,
        no_decay_names=NO_DECAY_NAMES,
        weight_decay=0.004,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, **kwargs
        )
        multipliers = dict(learning_rate_multipliers or {})
        for path, factor in multipliers.items():
            if (
                not isinstance(factor, (int, float))
                or isinstance(factor, bool)
                or not factor > 0
            ):
                raise ValueError(
                    "`learning_rate_multipliers` values must be positive numbers, "
                    f"got {factor!r} for {path!r}."
                )
        if isinstance(no_decay_names, str) or not all(
            isinstance(name, str) for name in no_decay_names
        ):
            raise ValueError(
                "`no_decay_names` must be a sequence of strings, got "
                f"{no_decay_names!r}."
            )
        self.learning_rate_multipliers = {k: float(v) for k, v in multipliers.items()}
        self.no_decay_names = tuple(no_decay_names)
        if self.no_decay_names:
            self.exclude_from_weight_decay(var_names=list(self.no_decay_names))

    def build(self, var_list):
        super().build(var_list)
        self._multiplier_by_key = {}
        self._decays_by_key = {}
        for variable in var_list:
            key = self._var_key(variable)
            self._multiplier_by_key[key] = self.learning_rate_multipliers.get(
                variable.path, 1.0
            )
            self._decays_by_key[key] = bool(
                self.weight_decay is not None and self._use_weight_decay(variable)
            )

    def _apply_weight_decay(self, variables):
        # Applied in `update_step` instead, at each variable's own rate.
        return

    def update_step(self, gradient, variable, learning_rate):
        key = self._var_key(variable)
        multiplier = self._multiplier_by_key.get(key, 1.0)
        learning_rate = keras.ops.cast(learning_rate, variable.dtype) * multiplier
        if self._decays_by_key.get(key, False):
            decay = keras.ops.cast(self.weight_decay, variable.dtype)
            variable.assign(variable - variable * decay * learning_rate)
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        config = super().get_config()
        config["learning_rate_multipliers"] = dict(self.learning_rate_multipliers)
        config["no_decay_names"] = list(self.no_decay_names)
        return config


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


def fast_token_ids(tokenizer, sentences):
    """Token ids of `sentences`, from Hugging Face `tokenizers` (Rust), fast.

    KerasHub's in-graph byte-level BPE costs milliseconds a sentence; this
    builds the same BPE (`ByteLevelBPETokenizer` on the tokenizer's own
    `vocabulary` and `merges`) and encodes a whole data set in a fraction of a
    second. Its ids equal those of the KerasHub tokenizer run in the graph
    (what a served model and `tf.data` pipelines compute) and those of
    transformers' `RobertaTokenizer`; tests check both. (KerasHub's eager
    Python path, used when a tokenizer is called on a Python list, splits
    " 's" differently and is not used here.)

    Args:
        tokenizer: a KerasHub byte-pair tokenizer (e.g. `RobertaTokenizer`).
        sentences: a list of strings.

    Returns:
        A list of lists of int token ids, without start/end tokens.
    """
    from tokenizers import ByteLevelBPETokenizer

    # merges.txt may start with a "#version: 0.2" line, which is no merge.
    merges = [
        tuple(merge.split(" "))
        for merge in tokenizer.merges
        if merge.strip() and not merge.lstrip().startswith("#version:")
    ]
    fast = ByteLevelBPETokenizer(vocab=dict(tokenizer.vocabulary), merges=merges)
    return [encoding.ids for encoding in fast.encode_batch(list(sentences))]


def pack_token_ids(token_ids, sequence_length, tokenizer):
    """Packs id lists as RoBERTa does: `<s> ids </s>`, truncated, padded.

    Returns:
        `{"token_ids": int32 (n, sequence_length), "padding_mask": bool}`,
        what `RobertaTextClassifierPreprocessor` gives for one segment.
    """
    packed = np.full(
        (len(token_ids), sequence_length), tokenizer.pad_token_id, dtype="int32"
    )
    for row, ids in enumerate(token_ids):
        ids = list(ids[: sequence_length - 2])
        packed[row, : len(ids) + 2] = (
            [tokenizer.start_token_id] + ids + [tokenizer.end_token_id]
        )
    return {"token_ids": packed, "padding_mask": packed != tokenizer.pad_token_id}


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
