"""The MNIST-1D demo's CNN against the paper's baseline CNN, seed by seed.

Trains, for each seed, the demo's CNN (`applications.sequences.mnist1d`:
`build_cnn` with the Config's `cnn_*` settings: 64 filters, AdamW (weight
decay 1e-2) from 1e-2 cosine-decayed to 0 over 150 epochs in batches of 100)
and the paper's settings (Greydanus 2020, `ConvBase` and `train_model` in the
mnist1d repository's notebooks: the same three convolutions with 25 filters,
Adam at a constant 1e-2, batches of 100, 6,000 steps), both built from Keras
layers, on the demo's split: the same seeded 10% of the 4,000 training signals
held out for validation. The goal: the demo's CNN at 94% test accuracy or more
(the paper's figure), median over seeds.

    python benchmarks/mnist1d_cnn.py [--seeds 0 1 2] [--split validation|test]
        [--json PATH] [--record [RESULTS_DIR]]

Settings are chosen with `--split validation` (the default), which never reads
the test signals; `--split test` also reports test accuracy, once the settings
are fixed. `--record` (with `--split test`) writes the run's record (command,
commit, packages, machine, load during the run, every seed's figures) into
`results/benchmarks/mnist1d_cnn.json`, from which the README's sentence is
rendered (`python -m applications results --write`).
"""

import argparse
import dataclasses
import json
import math
import statistics
import sys
import time
from pathlib import Path

# This checkout's `applications`, not an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import numpy as np

from applications.results import RESULTS_DIR, BenchmarkRun
from applications.sequences.mnist1d.config import Config
from applications.sequences.mnist1d.train import _optimizer, build_cnn
from kerastoolkit.datasets import mnist1d

# The paper's training (the mnist1d notebooks' get_model_args and ConvBase).
PAPER = {"filters": 25, "learning_rate": 1e-2, "batch_size": 100, "steps": 6000}


def _split(seed, validation_split):
    """The demo's split: a seeded shuffle, the last fraction held out."""
    (x, y), test = mnist1d.load_data()
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    cut = len(x) - int(len(x) * validation_split)
    return (x[:cut], y[:cut]), (x[cut:], y[cut:]), test


def _train(model, optimizer, batch_size, epochs, train, validation):
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(
        *train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=validation,
        verbose=0,
    )
    return history.history["val_accuracy"][-1], time.perf_counter() - start


def run_seed(seed, config, split):
    """Both CNNs at one seed; each model's figures as a dict."""
    train, validation, test = _split(seed, config.validation_split)
    length, signals = train[0].shape[1], len(train[0])
    paper_epochs = math.ceil(PAPER["steps"] * PAPER["batch_size"] / signals)
    setups = {
        "ours": (
            lambda: build_cnn(length, config.cnn_filters),
            lambda: _optimizer("cnn", config, signals),
            config.cnn_batch_size,
            config.cnn_epochs,
        ),
        "reference": (
            lambda: build_cnn(length, PAPER["filters"]),
            lambda: keras.optimizers.Adam(PAPER["learning_rate"]),
            PAPER["batch_size"],
            paper_epochs,
        ),
    }
    figures = {}
    for side, (build, optimizer, batch_size, epochs) in setups.items():
        keras.utils.set_random_seed(seed)
        model = build()
        accuracy, seconds = _train(
            model, optimizer(), batch_size, epochs, train, validation
        )
        figures[side] = {
            "validation_accuracy": float(accuracy),
            "train_seconds": seconds,
            "epochs": epochs,
        }
        if split == "test":
            _, test_accuracy = model.evaluate(*test, batch_size=500, verbose=0)
            figures[side]["test_accuracy"] = float(test_accuracy)
        print(f"[mnist1d_cnn] seed {seed} {side}: {figures[side]}", flush=True)
    return figures


def run(args):
    config = Config(seed=args.seeds[0])
    seeds = [run_seed(seed, config, args.split) for seed in args.seeds]
    names = [k for k in seeds[0]["ours"] if k != "epochs"]
    return {
        "seeds": args.seeds,
        "split": args.split,
        "ours": {k: [s["ours"][k] for s in seeds] for k in names},
        "reference": {k: [s["reference"][k] for s in seeds] for k in names},
        "epochs": {side: seeds[0][side]["epochs"] for side in seeds[0]},
        "config": {
            k: v for k, v in dataclasses.asdict(config).items() if k.startswith("cnn")
        },
        "paper_settings": PAPER,
    }


def print_table(result):
    print(f"{'model':<34}" + "".join(f"{k:>26}" for k in result["ours"]))
    for side, label in (("ours", "demo CNN"), ("reference", "paper settings")):
        row = result[side]
        cells = "".join(
            f"{statistics.median(v):>12.4f} ({min(v):.3f}-{max(v):.3f})"
            for v in row.values()
        )
        print(f"{label:<34}{cells}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--split",
        choices=("validation", "test"),
        default="validation",
        help="validation: choose settings without reading the test signals; "
        "test: also report test accuracy",
    )
    parser.add_argument("--json", default="", help="also write the result here")
    parser.add_argument(
        "--record",
        nargs="?",
        const=str(RESULTS_DIR),
        metavar="RESULTS_DIR",
        help="write the run record into RESULTS_DIR/benchmarks/mnist1d_cnn.json "
        "(default RESULTS_DIR: the checkout's results/); needs --split test",
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.record and args.split != "test":
        parser.error("--record needs --split test")
    with BenchmarkRun("mnist1d_cnn", argv) as timing:
        result = run(args)
    print_table(result)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    if args.record:
        timing.write(
            args.record,
            ours=f"the demo's CNN ({result['config']['cnn_filters']} filters)",
            reference=f"the paper's CNN settings ({PAPER['filters']} filters)",
            repetitions={"ours": result["ours"], "reference": result["reference"]},
            details={"arguments": vars(args), **result},
        )
    return result


if __name__ == "__main__":
    main()
