"""Pretrain a small RoBERTa on local unlabelled text, then fine-tune it on SST-2
and MR against the same architecture trained from scratch, over several seeds.

A full-size checkpoint is one flag away on a machine with internet:
`--preset roberta_base_en` (KerasHub) or `--preset /path/to/hf_dir` (a Hugging
Face RoBERTa directory); the rest of the recipe is unchanged.
"""

import csv
import json
import time
from pathlib import Path

import keras
import numpy as np

from applications.plots import plot_learning_curves
from kerastoolkit.datasets import mr, sst2
from kerastoolkit.training.distribution import make_strategy
from kerastoolkit.transfer.roberta.checkpoints import load_roberta_classifier
from kerastoolkit.transfer.roberta.fine_tuning import (
    fine_tune_roberta,
    predict_probabilities,
)
from kerastoolkit.transfer.roberta.pretraining import (
    build_masked_lm,
    masked_lm_loss,
    pretrain_masked_lm,
    sample_fill_in,
    save_pretrained,
    train_bpe_tokenizer,
    unlabelled_corpus,
)
from kerastoolkit.transfer.roberta.raw_text_serving import export_raw_text_classifier

# The metric the demo suite's index shows for this demo.
HEADLINE = "sst2_pretrained_test_accuracy_mean"

PUBLISHED = {
    "Kim 2014 CNN (word2vec), MR test accuracy %": 81.5,
    "Kim 2014 CNN (word2vec), SST-2 test accuracy %": 87.2,
    "RoBERTa-base (Liu et al. 2019), SST-2 GLUE dev accuracy %": 94.8,
}
INITS = ("pretrained", "scratch")
FILL_IN = (
    "A man in a blue shirt is riding a <mask> down the street.",
    "The film is a <mask> of fun.",
    "What light through yonder <mask> breaks?",
)


def load_splits(name, data_dir, train_size=0, test_size=0):
    """`{"train", "validation", "test"}` -> (sentences, labels) of a data set.

    SST-2 uses its own train/dev/test; MR its fixed train/test split, with 10%
    of the training sentences held out (seeded) for early stopping.
    """
    if name == "sst2":
        data = sst2.load_data(data_dir)
        splits = {
            "train": data["train"],
            "validation": data["dev"],
            "test": data["test"],
        }
    elif name == "mr":
        (x_train, y_train), test = mr.load_data(data_dir)
        fit, held_out = mr.split_indices(len(x_train), 0.1, seed=0)
        splits = {
            "train": ([x_train[i] for i in fit], y_train[fit]),
            "validation": ([x_train[i] for i in held_out], y_train[held_out]),
            "test": test,
        }
    else:
        raise ValueError(f"`datasets` entries must be 'sst2' or 'mr', got {name!r}.")
    if train_size:
        splits["train"] = tuple(part[:train_size] for part in splits["train"])
    if test_size:
        for split in ("validation", "test"):
            splits[split] = tuple(part[:test_size] for part in splits[split])
    return {k: (list(x), np.asarray(y)) for k, (x, y) in splits.items()}


def pretrain(config, preset_dir, metrics):
    """Trains the tokenizer and the masked LM and saves the preset."""
    corpus = unlabelled_corpus(config.data_dir or None)
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(len(corpus))
    held_out = [corpus[i] for i in order[:1000]]
    train = [corpus[i] for i in order[1000:]]
    if config.pretrain_max_sentences:
        train = train[: config.pretrain_max_sentences]
        held_out = held_out[: max(64, config.pretrain_max_sentences // 10)]
    output_dir = Path(config.output_dir)
    start = time.perf_counter()
    tokenizer = train_bpe_tokenizer(
        train, output_dir / "tokenizer", vocabulary_size=config.vocabulary_size
    )
    keras.utils.set_random_seed(config.seed)
    masked_lm = build_masked_lm(
        tokenizer,
        num_layers=config.num_layers,
        num_heads=config.num_heads,
        hidden_dim=config.hidden_dim,
        intermediate_dim=config.intermediate_dim,
        max_sequence_length=config.max_sequence_length,
        sequence_length=config.pretrain_sequence_length,
    )
    metrics["mlm_heldout_loss_before"] = masked_lm_loss(masked_lm, held_out)
    history = pretrain_masked_lm(
        masked_lm,
        train,
        epochs=config.pretrain_epochs,
        batch_size=config.pretrain_batch_size,
        peak_learning_rate=config.pretrain_learning_rate,
        validation_sentences=held_out,
        seed=config.seed,
        callbacks=[keras.callbacks.CSVLogger(str(output_dir / "pretraining.csv"))],
        verbose=config.verbose,
    )
    metrics["mlm_heldout_loss_after"] = masked_lm_loss(masked_lm, held_out)
    metrics["mlm_heldout_masked_accuracy"] = float(history["val_accuracy"][-1])
    metrics["pretrain_sentences"] = len(train)
    metrics["pretrain_parameters"] = int(masked_lm.backbone.count_params())
    metrics["pretrain_seconds"] = round(time.perf_counter() - start, 1)
    plot_learning_curves({"masked LM": history}, output_dir / "pretraining_curves.png")
    lines = ["# Masked-token guesses of the pretrained model (top 3)", ""]
    for sentence, guesses in zip(
        FILL_IN, sample_fill_in(masked_lm, list(FILL_IN)), strict=True
    ):
        lines.append(f"- {sentence} -> {guesses}")
    (output_dir / "fill_in.md").write_text("\n".join(lines) + "\n")
    save_pretrained(masked_lm, preset_dir)


def _summary_rows(results, datasets):
    rows = []
    for name in datasets:
        for init in INITS:
            values = [r["test_accuracy"] for r in results if r[:2] == (name, init)]
            if values:
                rows.append((name, init, 100 * np.mean(values), 100 * np.std(values)))
    return rows


def write_table(rows, results, path, source):
    lines = [
        f"# Test accuracy (%) over {len({r['seed'] for r in results})} seeds, "
        "mean ± std",
        "",
        f"Pretrained starting point: `{source}`. Scratch: the same architecture "
        "and tokenizer, randomly initialised.",
        "",
        "| data set | start | test accuracy |",
        "|---|---|---|",
    ]
    lines += [f"| {n} | {i} | {m:.1f} ± {s:.1f} |" for n, i, m, s in rows]
    lines += ["", "| published reference | accuracy |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in PUBLISHED.items()]
    lines += [
        "",
        "A full-size checkpoint is one flag away on a machine with internet: "
        "`python -m applications run roberta_sentiment --preset roberta_base_en` "
        "or `--preset /path/to/hf_roberta_dir`.",
    ]
    Path(path).write_text("\n".join(lines) + "\n")


def plot_accuracies(rows, path):
    import matplotlib.pyplot as plt

    fig, axis = plt.subplots(figsize=(6, 3.6))
    labels = [f"{n}\n{i}" for n, i, _, _ in rows]
    axis.bar(labels, [m for *_, m, _ in rows], yerr=[s for *_, s in rows], capsize=4)
    axis.set_ylabel("test accuracy (%)")
    axis.set_ylim(40, 100)
    axis.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


class _Row(dict):
    def __getitem__(self, key):
        if isinstance(key, slice):
            return (self["dataset"], self["init"])[key]
        return super().__getitem__(key)


def train_and_evaluate(config):
    """Pretrains (or reuses) a RoBERTa, fine-tunes it and a scratch twin.

    Returns:
        Metrics: test accuracy mean and std per data set and starting point,
        the pretraining figures, timings, and the SavedModel path of the best
        classifier (highest validation accuracy), which serves raw strings.
    """
    unknown = set(config.datasets) - {"sst2", "mr"}
    if unknown or not config.datasets or not config.seeds:
        raise ValueError(
            "`datasets` must be drawn from ('sst2', 'mr') and `seeds` must not be "
            f"empty, got {config.datasets}, {config.seeds}."
        )
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    metrics = {}
    strategy = make_strategy(config.strategy)
    if config.preset:
        source = config.preset
    else:
        source = Path(config.pretrained_dir or output_dir / "pretrained")
        if (source / "config.json").is_file():
            metrics["pretrained_reused"] = 1
        else:
            with strategy.scope():
                pretrain(config, source, metrics)
        source = str(source)

    results = []
    histories = {}
    best = (-1.0, None)
    start = time.perf_counter()
    for name in config.datasets:
        splits = load_splits(
            name, config.data_dir or None, config.train_size, config.test_size
        )
        for init in INITS:
            for seed in config.seeds:
                keras.utils.set_random_seed(seed)
                run_start = time.perf_counter()
                with strategy.scope():
                    classifier = load_roberta_classifier(
                        source,
                        2,
                        sequence_length=config.sequence_length,
                        dropout=config.dropout,
                        load_weights=init == "pretrained",
                    )
                    history = fine_tune_roberta(
                        classifier,
                        splits["train"],
                        splits["validation"],
                        epochs=config.epochs,
                        batch_size=config.batch_size,
                        peak_learning_rate=config.learning_rate,
                        warmup_fraction=config.warmup_fraction,
                        weight_decay=config.weight_decay,
                        layer_decay=(
                            None if config.layer_decay == 1.0 else config.layer_decay
                        ),
                        patience=config.patience,
                        seed=seed,
                        verbose=config.verbose,
                    )
                sentences, labels = splits["test"]
                probabilities = predict_probabilities(classifier, sentences)
                accuracy = float(np.mean(probabilities.argmax(-1) == labels))
                validation = float(max(history["val_accuracy"]))
                results.append(
                    _Row(
                        dataset=name,
                        init=init,
                        seed=seed,
                        test_accuracy=accuracy,
                        validation_accuracy=validation,
                        epochs=len(history["loss"]),
                        seconds=round(time.perf_counter() - run_start, 1),
                    )
                )
                histories[f"{name} {init} seed {seed}"] = history
                if init == "pretrained" and validation > best[0]:
                    best = (validation, classifier, name)
                if config.verbose:
                    print(f"[roberta_sentiment] {dict(results[-1])}", flush=True)
    metrics["fine_tune_seconds"] = round(time.perf_counter() - start, 1)

    rows = _summary_rows(results, config.datasets)
    for name, init, mean, std in rows:
        metrics[f"{name}_{init}_test_accuracy_mean"] = mean
        metrics[f"{name}_{init}_test_accuracy_std"] = std
    write_table(rows, results, output_dir / "results.md", source)
    with open(output_dir / "runs.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(results[0]))
        writer.writeheader()
        writer.writerows(dict(r) for r in results)
    (output_dir / "histories.json").write_text(json.dumps(histories, indent=1))
    plot_accuracies(rows, output_dir / "test_accuracy.png")
    plot_learning_curves(
        {k: v for k, v in histories.items() if "seed" in k and k.endswith(" 0")},
        output_dir / "fine_tuning_curves.png",
    )

    _, classifier, name = best
    classifier.save(output_dir / "best_classifier.keras")
    exported = export_raw_text_classifier(
        classifier,
        config.export_dir,
        examples=np.array(
            ["a gripping , beautifully acted film .", "dull and lifeless ."]
        ),
    )
    metrics["best_classifier_dataset"] = name
    metrics["saved_model"] = str(exported)
    return metrics
