"""Pretrain a small RoBERTa masked language model on local, unlabelled text.

No pretrained weights can be downloaded on an offline machine, so the
starting point for transfer is made here:

1. a byte-level BPE tokenizer trained with Hugging Face `tokenizers`
   (`ByteLevelBPETokenizer`, RoBERTa's special tokens `<s> <pad> </s> <unk>
   <mask>`), written as the `vocab.json` + `merges.txt` that
   `keras_hub.models.RobertaTokenizer` reads;
2. a `keras_hub.models.RobertaMaskedLM` of the requested size, trained with
   RoBERTa's objective: dynamic masking (a fresh 15% of the tokens each epoch;
   of those 80% become `<mask>`, 10% a random token, 10% stay) and the
   cross-entropy of the original tokens at the masked positions;
3. saved with `task.save_to_preset(dir)`, a KerasHub preset directory that
   `load_roberta_classifier(dir, ...)` and `load_roberta_masked_lm(dir)`
   load like any published checkpoint.

References:
    Liu et al., RoBERTa: A Robustly Optimized BERT Pretraining Approach, 2019.
    Devlin et al., BERT: Pre-training of Deep Bidirectional Transformers for
    Language Understanding, 2019 (the masked language model objective).
    Sennrich et al., Neural Machine Translation of Rare Words with Subword
    Units, 2016; Radford et al., Language Models are Unsupervised Multitask
    Learners, 2019 (byte-level BPE).
"""

import math
from pathlib import Path

import keras
import numpy as np

from kerastoolkit.transfer.roberta.token_packing import fast_token_ids, pack_token_ids
from kerastoolkit.utils.argument_checks import positive_int

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def unlabelled_corpus(
    data_dir=None,
    sources=("mr", "sst2", "multi30k", "shakespeare"),
    *,
    return_removed=False,
):
    """Sentences without labels from the local data sets, for pretraining.

    Only training splits are used: MR's fixed train split
    (`kerastoolkit.datasets.mr.load_data`), SST-2's train split, Multi30k's
    English training side and the non-empty lines of Tiny Shakespeare's
    training split. SST-2 and MR share most of their sentences (both come
    from Rotten Tomatoes), so a training split of one holds test sentences of
    the other: every sentence that, normalised, is in an evaluation split
    (SST-2 dev and test, MR test; see
    `kerastoolkit.datasets.evaluation_overlap`) is removed, so the sentences
    the fine-tuned classifiers are tested on are never seen, not even
    unlabelled.

    Args:
        data_dir: the data root (`None`: `KERASTOOLKIT_DATA_DIR` etc.).
        sources: which of `"mr"`, `"sst2"`, `"multi30k"`, `"shakespeare"`.
        return_removed: also return how many sentences each source lost.

    Returns:
        A list of strings; with `return_removed`, `(sentences, removed)`,
        `removed` a dict from source name to the number of sentences dropped.
    """
    from kerastoolkit.datasets import mr, multi30k, sst2, tinyshakespeare
    from kerastoolkit.datasets.evaluation_overlap import (
        evaluation_sentences,
        remove_evaluation_sentences,
    )

    known = ("mr", "sst2", "multi30k", "shakespeare")
    unknown = set(sources) - set(known)
    if unknown or not sources:
        raise ValueError(f"`sources` must be drawn from {known}, got {sources!r}.")
    loaders = {
        "mr": lambda: mr.load_data(data_dir)[0][0],
        "sst2": lambda: sst2.load_data(data_dir)["train"][0],
        "multi30k": lambda: multi30k.load_data(data_dir)["train"][0],
        "shakespeare": lambda: tinyshakespeare.load_data(data_dir, split="train").split(
            "\n"
        ),
    }
    evaluation = evaluation_sentences(data_dir)
    sentences, removed = [], {}
    for source in known:
        if source not in sources:
            continue
        text = [line.strip() for line in loaders[source]() if line.strip()]
        kept, _, removed[source] = remove_evaluation_sentences(
            text, evaluation=evaluation
        )
        sentences += kept
    return (sentences, removed) if return_removed else sentences


def train_bpe_tokenizer(sentences, output_dir, vocabulary_size=8000, min_frequency=2):
    """Trains a byte-level BPE tokenizer and writes `vocab.json`, `merges.txt`.

    Args:
        sentences: the training text, a list of strings.
        output_dir: where the two files go (created if needed).
        vocabulary_size: the vocabulary size, at least 261 (256 bytes and the
            5 special tokens).
        min_frequency: merges seen fewer times are not learnt.

    Returns:
        A `keras_hub.models.RobertaTokenizer` reading the written files.
    """
    import keras_hub
    from tokenizers import ByteLevelBPETokenizer

    positive_int("vocabulary_size", vocabulary_size)
    if vocabulary_size < 256 + len(SPECIAL_TOKENS):
        raise ValueError(
            "`vocabulary_size` must be at least 261 (256 bytes + 5 special "
            f"tokens), got {vocabulary_size}."
        )
    if not sentences:
        raise ValueError("`sentences` must hold at least one sentence.")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = ByteLevelBPETokenizer()
    tokenizer.train_from_iterator(
        list(sentences),
        vocab_size=vocabulary_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        show_progress=False,
    )
    tokenizer.save_model(str(output_dir))
    return keras_hub.models.RobertaTokenizer(
        vocabulary=str(output_dir / "vocab.json"),
        merges=str(output_dir / "merges.txt"),
    )


def build_masked_lm(
    tokenizer,
    *,
    num_layers=4,
    num_heads=4,
    hidden_dim=256,
    intermediate_dim=1024,
    dropout=0.1,
    max_sequence_length=128,
    sequence_length=64,
    mask_selection_rate=0.15,
):
    """A randomly initialised `keras_hub.models.RobertaMaskedLM`.

    Args:
        tokenizer: a `RobertaTokenizer` (its vocabulary sets the embedding).
        num_layers: Transformer layers.
        num_heads: attention heads (must divide `hidden_dim`).
        hidden_dim: the model width.
        intermediate_dim: the feed-forward width.
        dropout: dropout in the backbone.
        max_sequence_length: the longest input the position table allows
            (fine-tuning may use any length up to it).
        sequence_length: the packed length for pretraining.
        mask_selection_rate: the share of tokens to predict.

    Returns:
        The masked LM with its `RobertaMaskedLMPreprocessor`.
    """
    import keras_hub

    for name, value in (
        ("num_layers", num_layers),
        ("num_heads", num_heads),
        ("hidden_dim", hidden_dim),
        ("intermediate_dim", intermediate_dim),
        ("max_sequence_length", max_sequence_length),
        ("sequence_length", sequence_length),
    ):
        positive_int(name, value)
    if hidden_dim % num_heads:
        raise ValueError(
            f"`num_heads` ({num_heads}) must divide `hidden_dim` ({hidden_dim})."
        )
    if sequence_length > max_sequence_length:
        raise ValueError(
            f"`sequence_length` ({sequence_length}) must be at most "
            f"`max_sequence_length` ({max_sequence_length})."
        )
    backbone = keras_hub.models.RobertaBackbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=num_layers,
        num_heads=num_heads,
        hidden_dim=hidden_dim,
        intermediate_dim=intermediate_dim,
        dropout=dropout,
        max_sequence_length=max_sequence_length,
    )
    preprocessor = keras_hub.models.RobertaMaskedLMPreprocessor(
        tokenizer,
        sequence_length=sequence_length,
        mask_selection_rate=mask_selection_rate,
        # Room for every selected token (KerasHub's default, 96, would score
        # 96 positions a sentence and make the vocabulary projection dominate).
        mask_selection_length=math.ceil(mask_selection_rate * sequence_length) + 1,
    )
    return keras_hub.models.RobertaMaskedLM(backbone, preprocessor=preprocessor)


def masked_lm_batches(masked_lm, sentences, batch_size=64, shuffle=True, seed=0):
    """Tokenises `sentences` once; masks afresh each epoch (dynamic masking).

    Returns:
        A `tf.data.Dataset` of `(features, mask_ids, mask_weights)` batches
        for a masked LM whose `preprocessor` is set aside during `fit`.
    """
    import tensorflow as tf

    preprocessor = masked_lm.preprocessor
    if not preprocessor.built:
        preprocessor.build(None)
    # Tokenised and packed once (fast, with the same BPE); the masking below
    # is redrawn on every pass.
    tokenizer = preprocessor.tokenizer
    packed = pack_token_ids(
        fast_token_ids(tokenizer, sentences), preprocessor.sequence_length, tokenizer
    )["token_ids"]
    dataset = tf.data.Dataset.from_tensor_slices(packed)
    if shuffle:
        dataset = dataset.shuffle(len(packed), seed=seed, reshuffle_each_iteration=True)
    pad_id = preprocessor.tokenizer.pad_token_id

    def mask(packed):
        masked = preprocessor.masker(packed)
        features = {
            "token_ids": masked["token_ids"],
            "padding_mask": packed != pad_id,
            "mask_positions": masked["mask_positions"],
        }
        return features, masked["mask_ids"], masked["mask_weights"]

    return (
        dataset.batch(batch_size)
        .map(mask, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(2)
    )


def pretrain_masked_lm(
    masked_lm,
    sentences,
    *,
    epochs=3,
    batch_size=64,
    peak_learning_rate=5e-4,
    warmup_fraction=0.06,
    weight_decay=0.01,
    validation_sentences=None,
    seed=0,
    callbacks=(),
    verbose=0,
):
    """Trains `masked_lm` with the masked-LM objective.

    AdamW on `LinearWarmupDecay(peak_learning_rate, warmup, total)`, weight
    decay off for biases and LayerNorm, the loss the sparse cross-entropy of
    the masked tokens weighted by `mask_weights` (padding of the
    mask positions gets weight 0).

    Args:
        masked_lm: from `build_masked_lm` (or `load_roberta_masked_lm`).
        sentences: the training text.
        epochs: passes over `sentences`, each with a fresh masking.
        batch_size: sentences per step.
        peak_learning_rate: the rate after the warm-up.
        warmup_fraction: the share of steps spent warming up.
        weight_decay: the decoupled weight decay.
        validation_sentences: optional held-out text for `val_loss` and
            `val_accuracy` (of the masked tokens).
        seed: the shuffling seed.
        callbacks: Keras callbacks.
        verbose: `fit` verbosity.

    Returns:
        The `History.history` dict (`loss`, `accuracy`, and the `val_` ones).
    """
    from kerastoolkit.transfer.roberta.fine_tuning import (
        preprocessing_detached,
        warmup_adamw,
    )

    positive_int("epochs", epochs)
    positive_int("batch_size", batch_size)
    if not sentences:
        raise ValueError("`sentences` must hold at least one sentence.")
    steps = max(2, epochs * math.ceil(len(sentences) / batch_size))
    masked_lm.compile(
        optimizer=warmup_adamw(
            steps,
            peak_learning_rate=peak_learning_rate,
            warmup_fraction=warmup_fraction,
            weight_decay=weight_decay,
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    train = masked_lm_batches(masked_lm, sentences, batch_size, True, seed)
    validation = None
    if validation_sentences:
        validation = masked_lm_batches(
            masked_lm, validation_sentences, batch_size, False
        ).cache()
    with preprocessing_detached(masked_lm):
        history = masked_lm.fit(
            train,
            validation_data=validation,
            epochs=epochs,
            callbacks=list(callbacks),
            verbose=verbose,
        )
    return history.history


def masked_lm_loss(masked_lm, sentences, batch_size=64, seed=0):
    """The mean masked-token cross-entropy (nats) of `masked_lm` on `sentences`.

    The masking is drawn with `keras.utils.set_random_seed(seed)` first, so
    two calls with the same seed score the same masked positions.
    """
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    total, weight = 0.0, 0.0
    preprocessor = masked_lm.preprocessor
    for features, labels, weights in masked_lm_batches(
        masked_lm, sentences, batch_size, shuffle=False
    ):
        masked_lm.preprocessor = None
        try:
            logits = masked_lm(features, training=False)
        finally:
            masked_lm.preprocessor = preprocessor
        losses = keras.losses.sparse_categorical_crossentropy(
            labels, logits, from_logits=True
        )
        weights = tf.cast(weights, losses.dtype)
        total += float(tf.reduce_sum(losses * weights))
        weight += float(tf.reduce_sum(weights))
    return total / max(weight, 1.0)


def save_pretrained(masked_lm, preset_dir):
    """Saves `masked_lm` as a KerasHub preset directory and returns its path.

    The directory holds `config.json` (the backbone), `model.weights.h5`,
    `task.json` + `task.weights.h5` (the masked-LM head), the tokenizer's
    config and `assets/` with `vocab.json` and `merges.txt`.
    """
    preset_dir = Path(preset_dir)
    if preset_dir.exists() and any(preset_dir.iterdir()):
        raise FileExistsError(
            f"{preset_dir} is not empty; pick a new directory (nothing was "
            "overwritten)."
        )
    preset_dir.mkdir(parents=True, exist_ok=True)
    masked_lm.save_to_preset(str(preset_dir))
    return preset_dir


def sample_fill_in(masked_lm, sentences, top_k=3):
    """Fills each sentence's `<mask>` tokens with the model's top guesses.

    Returns:
        A list with, per sentence, a list (per `<mask>`) of the `top_k` most
        likely token strings.
    """
    import tensorflow as tf

    tokenizer = masked_lm.preprocessor.tokenizer
    if not masked_lm.preprocessor.built:
        masked_lm.preprocessor.build(None)
    packer = masked_lm.preprocessor.packer
    mask_id = tokenizer.mask_token_id
    results = []
    for sentence in sentences:
        pieces = sentence.split("<mask>")
        ids = []
        for index, piece in enumerate(pieces):
            if piece:
                ids += [int(i) for i in np.asarray(tokenizer(tf.constant(piece)))]
            if index < len(pieces) - 1:
                ids.append(mask_id)
        packed, _ = packer(tf.ragged.constant([ids]))
        packed = np.asarray(packed)
        positions = np.flatnonzero(packed[0] == mask_id)[None, :]
        if positions.size == 0:
            results.append([])
            continue
        features = {
            "token_ids": packed,
            "padding_mask": packed != tokenizer.pad_token_id,
            "mask_positions": positions,
        }
        preprocessor = masked_lm.preprocessor
        masked_lm.preprocessor = None
        try:
            logits = np.asarray(masked_lm(features, training=False))[0]
        finally:
            masked_lm.preprocessor = preprocessor
        best = np.argsort(-logits, axis=-1)[:, :top_k]
        results.append([[tokenizer.id_to_token(int(i)) for i in row] for row in best])
    return results
