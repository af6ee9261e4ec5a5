"""Train the character models on Tiny Shakespeare: bits per char, samples, export."""

import math
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from applications.learning_guards import Guard
from applications.plots import plot_learning_curves
from kerastoolkit.datasets import tinyshakespeare
from kerastoolkit.export import export_saved_model
from kerastoolkit.models.char_language_model import CharLanguageModel
from kerastoolkit.training.callbacks import default_callbacks

# The metric the demo suite's index shows for this demo.
HEADLINE = "lstm_test_bits_per_char"

PUBLISHED = {
    # nanoGPT README: best validation loss 1.4697 nats/char (90/10 split).
    "nanoGPT char transformer, 10.7M parameters (Karpathy), val bits/char": 2.1204,
}
LABELS = {"lstm": "LSTM", "wavenet": "WaveNet"}

# The quick run (150 steps per body; 17-39 s at load 4-6 on the 2-core
# machine) gave, with seeds 0-4, validation bits/char of the LSTM 3.564,
# 3.635, 3.515, 3.555, 3.514 and of the WaveNet 3.635, 3.570, 3.637, 3.644,
# 3.711 (the worse body's at most 3.711); a unigram model scores 4.849 on the
# same characters, uniform guessing 5.93 and so an untrained model. Every
# body must stay 0.8 bits under the unigram model (below 4.05: a model that
# learned only the character frequencies fails; 0.34 above the worst seed).
GUARDS = (
    Guard(
        "highest_validation_bits_per_char",
        below="unigram_validation_bits_per_char",
        margin=0.8,
    ),
)


def windows(ids, length):
    """Non-overlapping `(inputs, targets)` windows, targets one character ahead."""
    count = (len(ids) - 1) // length
    if count < 1:
        raise ValueError(
            f"The text has {len(ids)} characters: too few for one window of "
            f"`sequence_length`={length}."
        )
    inputs = ids[: count * length].reshape(count, length)
    targets = ids[1 : count * length + 1].reshape(count, length)
    return inputs, targets


def build_model(config, vocabulary, body):
    """The `CharLanguageModel` of `body` with the config's sizes."""
    return CharLanguageModel(
        vocabulary,
        body=body,
        embedding_dim=config.embedding_dim,
        units=config.lstm_units,
        num_layers=config.lstm_layers,
        dilations=config.wavenet_dilations,
        kernel_size=2,
        residual_channels=config.residual_channels,
        skip_channels=config.skip_channels,
        name=f"char_lm_{body}",
    )


def unigram_bits_per_char(train_ids, target_ids, num_classes):
    """Bits per character of a unigram model, the baseline that ignores context.

    The model is the frequency of each id in `train_ids`, add-one smoothed
    over the `num_classes` ids (so a character unseen in training costs a
    finite number of bits): `p(c) = (count(c) + 1) / (N + num_classes)`.

    Returns:
        The mean of `-log2 p(c)` over `target_ids`.
    """
    counts = np.bincount(np.ravel(train_ids), minlength=num_classes) + 1.0
    log2_p = np.log2(counts / counts.sum())
    return float(-np.mean(log2_p[np.ravel(target_ids)]))


def _bits(history):
    return {
        name.replace("loss", "bits_per_char"): [v / math.log(2) for v in values]
        for name, values in history.items()
        if name in ("loss", "val_loss")
    }


def train_and_evaluate(config):
    """Trains each body, then scores the validation and test splits.

    Bits per character are the mean negative log2-likelihood of each next
    character over non-overlapping windows of `sequence_length`, each read
    from a fresh state (zero LSTM state, zero WaveNet padding), the same for
    both bodies.

    Returns:
        Metrics: validation and test bits per character of each body (and
        `highest_validation_bits_per_char`, the worse body's), beside
        the naive baselines on the same characters: `uniform_bits_per_char`
        (log2 of the alphabet's size) and a unigram model's
        (`unigram_{split}_bits_per_char`, the training text's character
        frequencies); training steps and seconds, the vocabulary size, where
        the samples are, and the SavedModel paths.
    """
    unknown = set(config.bodies) - set(LABELS)
    if unknown or not config.bodies:
        raise ValueError(
            f"`bodies` must be drawn from {tuple(LABELS)}, got {config.bodies}."
        )
    keras.utils.set_random_seed(config.seed)
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    data_dir = config.data_dir or None
    texts = {
        split: tinyshakespeare.load_data(data_dir=data_dir, split=split)
        for split in tinyshakespeare.SPLITS
    }
    if config.train_chars:
        texts["train"] = texts["train"][: config.train_chars]
    if config.eval_chars:
        for split in ("validation", "test"):
            texts[split] = texts[split][: config.eval_chars]
    vocabulary = sorted(set(texts["train"]))

    metrics = {
        "vocabulary_size": len(vocabulary),
        "uniform_bits_per_char": math.log2(len(vocabulary)),
    }
    histories = {}
    samples = [f"# Samples continuing {config.prompt!r}", ""]
    for body in config.bodies:
        label = LABELS[body]
        model = build_model(config, vocabulary, body)
        encoded = {split: model.encode(text) for split, text in texts.items()}
        train_inputs, train_targets = windows(encoded["train"], config.sequence_length)
        batches = (
            tf.data.Dataset.from_tensor_slices((train_inputs, train_targets))
            .shuffle(len(train_inputs), seed=config.seed)
            .repeat()
            .batch(config.batch_size, drop_remainder=True)
            .prefetch(2)
        )
        validation = windows(encoded["validation"], config.sequence_length)
        for split in ("validation", "test"):
            # On the characters the models are scored on: every target of
            # the split's windows.
            metrics[f"unigram_{split}_bits_per_char"] = unigram_bits_per_char(
                encoded["train"],
                windows(encoded[split], config.sequence_length)[1],
                model.num_classes,
            )
        model.compile(
            optimizer=keras.optimizers.Adam(
                config.learning_rate, clipnorm=config.clipnorm or None
            )
        )
        start = time.perf_counter()
        history = model.fit(
            batches,
            steps_per_epoch=config.steps_per_epoch,
            epochs=max(1, config.steps // config.steps_per_epoch),
            validation_data=validation,
            validation_batch_size=256,
            callbacks=default_callbacks(output_dir / body, patience=config.patience),
            verbose=config.verbose,
            shuffle=False,
        )
        seconds = time.perf_counter() - start
        histories[label] = _bits(history.history)
        for split in ("validation", "test"):
            loss = model.evaluate(
                *windows(encoded[split], config.sequence_length),
                batch_size=256,
                verbose=0,
            )
            metrics[f"{body}_{split}_bits_per_char"] = loss / math.log(2)
        metrics[f"{body}_parameters"] = model.count_params()
        metrics[f"{body}_steps"] = len(history.history["loss"]) * config.steps_per_epoch
        metrics[f"{body}_train_seconds"] = round(seconds, 1)
        if model.receptive_field:
            metrics[f"{body}_receptive_field"] = model.receptive_field
        model.save(output_dir / f"{body}.keras")
        example = [
            np.array(config.prompt),
            np.int32(16),
            np.float32(config.temperatures[0]),
            np.int32(config.seed),
        ]
        exported = export_saved_model(
            model,
            Path(config.export_dir) / body,
            endpoints=model.serving_endpoints(),
            examples={"generate": example},
        )
        metrics[f"{body}_saved_model"] = str(exported)
        # The samples come from the exported graph (fast, and what a server
        # runs); `model.generate_text` gives the same text.
        generate = tf.saved_model.load(str(exported)).signatures["generate"]
        for temperature in config.temperatures:
            text = generate(
                prompt=tf.constant(config.prompt),
                length=tf.constant(config.sample_length),
                temperature=tf.constant(temperature, tf.float32),
                seed=tf.constant(config.seed),
            )["text"]
            samples += [
                f"## {label}, temperature {temperature}",
                "",
                "```",
                config.prompt + text.numpy().decode("utf-8"),
                "```",
                "",
            ]

    metrics["highest_validation_bits_per_char"] = max(
        metrics[f"{body}_validation_bits_per_char"] for body in config.bodies
    )
    (output_dir / "samples.md").write_text("\n".join(samples))
    metrics["samples"] = str(output_dir / "samples.md")
    plot_learning_curves(
        histories, output_dir / "learning_curves.png", metrics=("bits_per_char",)
    )
    return metrics
