"""Training throughput of kerastoolkit's LSTM against keras.layers.LSTM.

Both models are `Input -> LSTM(units) -> Dense(10)`, built in the same process,
with the same initial weights, trained with `model.fit` on the same random data
(MNIST-1D's shapes by default: sequences of 40 scalars, batch 64). After one
warm-up epoch each (tracing), the two are timed in turns, one epoch at a time,
for `--repeats` repetitions, so that both see the same machine load. Printed:
sequences per second of each repetition, the median and min-max, and the ratio
of the medians (ours / Keras; above 1 means ours is faster).

Usage:

    python benchmarks/rnn_throughput.py                      # MNIST-1D shapes
    python benchmarks/rnn_throughput.py --features 32 --timesteps 100
    python benchmarks/rnn_throughput.py --unroll --jit-compile --json out.json
    python benchmarks/rnn_throughput.py --record   # results/benchmarks/*.json

`--record` writes the run's record (command, commit, packages, machine, load
during the run, every repetition's figures), from which the README's sentence
is rendered (`python -m applications results --write`).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# This checkout's `applications` (run records), not an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import numpy as np
import tensorflow as tf

from applications.results import RESULTS_DIR, BenchmarkRun
from kerastoolkit.layers import LSTM

OURS, REFERENCE = "kerastoolkit.layers.LSTM", "keras.layers.LSTM"


def machine():
    """A one-line description of the CPU, the cores and the library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, backend {keras.backend.backend()}"
    )


def build(layer_class, args):
    inputs = keras.Input((args.timesteps, args.features))
    features = layer_class(args.units, unroll=args.unroll)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(10)(features))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=args.jit_compile,
    )
    return model


def measure(args):
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.sequences, args.timesteps, args.features))
    x = x.astype("float32")
    y = rng.integers(0, 10, args.sequences)
    models = {"kerastoolkit.layers.LSTM": build(LSTM, args)}
    models["keras.layers.LSTM"] = build(keras.layers.LSTM, args)
    reference = models["keras.layers.LSTM"]
    models["kerastoolkit.layers.LSTM"].set_weights(reference.get_weights())
    for model in models.values():  # warm-up: tracing and the first steps
        model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0)
    rates = {name: [] for name in models}
    cpu_rates = {name: [] for name in models}
    names = list(models)
    for repetition in range(args.repeats):
        for name in names if repetition % 2 == 0 else names[::-1]:
            start, start_cpu = time.perf_counter(), time.process_time()
            models[name].fit(
                x, y, batch_size=args.batch_size, epochs=1, shuffle=False, verbose=0
            )
            rates[name].append(args.sequences / (time.perf_counter() - start))
            cpu_rates[name].append(args.sequences / (time.process_time() - start_cpu))
    return rates, cpu_rates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--timesteps", type=int, default=40)
    parser.add_argument("--features", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--sequences", type=int, default=1280, help="sequences per timed epoch"
    )
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--unroll", action="store_true", help="unroll both layers")
    parser.add_argument(
        "--jit-compile", action="store_true", help="compile both with XLA"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument(
        "--record",
        nargs="?",
        const=str(RESULTS_DIR),
        metavar="RESULTS_DIR",
        help="write the run record into RESULTS_DIR/benchmarks/rnn_throughput.json "
        "(default RESULTS_DIR: the checkout's results/)",
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    with BenchmarkRun("rnn_throughput", argv) as run:
        rates, cpu_rates = measure(args)
    medians = {name: statistics.median(r) for name, r in rates.items()}
    cpu_medians = {name: statistics.median(r) for name, r in cpu_rates.items()}
    ours, reference = rates["kerastoolkit.layers.LSTM"], rates["keras.layers.LSTM"]
    ratio = statistics.median(ours) / statistics.median(reference)
    paired = statistics.median(a / b for a, b in zip(ours, reference, strict=True))
    cpu_ratio = (
        cpu_medians["kerastoolkit.layers.LSTM"] / cpu_medians["keras.layers.LSTM"]
    )
    print(f"machine: {machine()}")
    print(
        f"shapes: batch {args.batch_size}, {args.timesteps} steps x "
        f"{args.features} features, {args.units} units; unroll={args.unroll}, "
        f"jit_compile={args.jit_compile}; {args.repeats} repetitions of "
        f"{args.sequences} sequences"
    )
    print(f"{'layer':<26} {'median seq/s':>12} {'min':>8} {'max':>8} {'seq/CPU-s':>10}")
    for name, values in rates.items():
        print(
            f"{name:<26} {medians[name]:>12.0f} {min(values):>8.0f} "
            f"{max(values):>8.0f} {cpu_medians[name]:>10.0f}"
        )
    print(f"ratio (kerastoolkit / keras, medians): {ratio:.3f}")
    print(
        f"ratio (kerastoolkit / keras, median of per-repetition ratios): {paired:.3f}"
    )
    print(f"ratio (kerastoolkit / keras, sequences per CPU-second): {cpu_ratio:.3f}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "machine": machine(),
                    "arguments": vars(args),
                    "sequences_per_second": rates,
                    "sequences_per_cpu_second": cpu_rates,
                    "medians": medians,
                    "ratio": ratio,
                    "paired_ratio": paired,
                    "cpu_ratio": cpu_ratio,
                },
                out,
                indent=2,
            )
    if args.record:
        run.write(
            args.record,
            ours=OURS,
            reference=REFERENCE,
            repetitions={
                side: {
                    "sequences_per_second": rates[name],
                    "sequences_per_cpu_second": cpu_rates[name],
                }
                for side, name in (("ours", OURS), ("reference", REFERENCE))
            },
            details={
                "arguments": vars(args),
                "machine": machine(),
                "ratio_of_medians": ratio,
                "median_of_paired_ratios": paired,
                "cpu_ratio": cpu_ratio,
            },
        )
    return ratio


if __name__ == "__main__":
    main()
