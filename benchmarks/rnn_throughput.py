"""Training and inference throughput of kerastoolkit's LSTM (or SimpleRNN) vs Keras's.

Both models are `Input -> LSTM(units) -> Dense(10)` (`--layer simple_rnn`:
`SimpleRNN`), one with `kerastoolkit.layers`, the reference with
`keras.layers`, built in the same process,
with the same initial weights, trained with `model.fit` on the same random data
(MNIST-1D's shapes by default: sequences of 40 scalars, batch 64, 128 units).

First both train `--loss-epochs` epochs from the same weights on the same
batches (unshuffled): their loss curves must agree to `--loss-rtol` (relative),
which checks that the faster loop computes the same training; these epochs are
also the warm-up (tracing). Where training itself is chaotic, rounding
differences grow and the curves part even between two Keras runs: with
`--layer simple_rnn` over 200 steps of 256 units, Keras against itself with
weights perturbed by 1e-7 (relative) differs by 3e-3 after two epochs.

Then the two are timed in turns, one training epoch and one `predict` pass
over the same sequences at a time, for `--repeats` repetitions, so that both
see the same machine load. Printed: the machine and
its load average before and after, the loss curves, and for training and for
inference the median and min-max sequences per second, the ratio of the
medians, ours / reference (kerastoolkit / keras: above 1 means ours is
faster), the median of the per-repetition ratios and the ratio of sequences
per CPU-second.

The script imports `kerastoolkit` from the checkout it lives in (not an
installed copy), and prints that path.

Usage:

    python benchmarks/rnn_throughput.py                      # MNIST-1D shapes
    python benchmarks/rnn_throughput.py --batch-size 32 --timesteps 200 --units 256
    python benchmarks/rnn_throughput.py --layer simple_rnn
    python benchmarks/rnn_throughput.py --features 32 --timesteps 100
    python benchmarks/rnn_throughput.py --unroll --jit-compile --json out.json
    python benchmarks/rnn_throughput.py --record   # results/benchmarks/*.json

`--record` writes the run's record (command, commit, packages, machine, load
during the run, every repetition's figures of training and of inference), from
which the README's sentence is rendered (`python -m applications results
--write`); it records the LSTM comparison, the one the README quotes.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# This checkout's `kerastoolkit` and `applications` (run records), before any
# installed copy (an editable install may point at another checkout): the code
# measured is the code next to this file.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import numpy as np
import tensorflow as tf

import kerastoolkit
from applications.results import RESULTS_DIR, BenchmarkRun
from kerastoolkit.layers import LSTM, SimpleRNN

# --layer: (ours, the reference).
LAYERS = {
    "lstm": (LSTM, keras.layers.LSTM),
    "simple_rnn": (SimpleRNN, keras.layers.SimpleRNN),
}


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
    layer = layer_class(args.units, unroll=args.unroll)
    if args.steps_per_iteration and hasattr(layer, "steps_per_iteration"):
        layer.steps_per_iteration = args.steps_per_iteration
    features = layer(inputs)
    model = keras.Model(inputs, keras.layers.Dense(10)(features))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=args.jit_compile,
    )
    return model


def _data(args):
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.sequences, args.timesteps, args.features))
    return x.astype("float32"), rng.integers(0, 10, args.sequences)


def names(args):
    """The names of ours and of the reference, e.g. `kerastoolkit.layers.LSTM`."""
    ours, reference = LAYERS[args.layer]
    return f"kerastoolkit.layers.{ours.__name__}", f"keras.layers.{reference.__name__}"


def build_pair(args):
    """Both models, ours first, with the same initial weights."""
    keras.utils.set_random_seed(args.seed)
    ours, reference = names(args)
    models = {
        ours: build(LAYERS[args.layer][0], args),
        reference: build(LAYERS[args.layer][1], args),
    }
    models[ours].set_weights(models[reference].get_weights())
    return models


def loss_curves(models, x, y, args):
    """Each model's training loss per epoch, from the same weights and batches."""
    return {
        name: model.fit(
            x,
            y,
            batch_size=args.batch_size,
            epochs=args.loss_epochs,
            shuffle=False,
            verbose=0,
        ).history["loss"]
        for name, model in models.items()
    }


def _timed(function, count):
    start, start_cpu = time.perf_counter(), time.process_time()
    function()
    return count / (time.perf_counter() - start), count / (
        time.process_time() - start_cpu
    )


def throughputs(models, x, y, args):
    """Sequences per second (wall and CPU) of training and of inference.

    The models take turns, alternating their order, one training epoch then
    one `predict` pass over the same sequences at a time.
    """
    names = list(models)
    kinds = ("training", "inference")
    rates = {kind: {name: [] for name in names} for kind in kinds}
    cpu_rates = {kind: {name: [] for name in names} for kind in kinds}
    for repetition in range(args.repeats):
        for name in names if repetition % 2 == 0 else names[::-1]:
            model = models[name]
            for kind, run in (
                (
                    "training",
                    lambda model=model: model.fit(
                        x,
                        y,
                        batch_size=args.batch_size,
                        epochs=1,
                        shuffle=False,
                        verbose=0,
                    ),
                ),
                (
                    "inference",
                    lambda model=model: model.predict(
                        x, batch_size=args.batch_size, verbose=0
                    ),
                ),
            ):
                rate, cpu_rate = _timed(run, args.sequences)
                rates[kind][name].append(rate)
                cpu_rates[kind][name].append(cpu_rate)
    return rates, cpu_rates


def measure_all(args):
    """Loss curves, then training and inference throughput, with the load."""
    x, y = _data(args)
    models = build_pair(args)
    load_before = os.getloadavg()
    losses = loss_curves(models, x, y, args)
    for model in models.values():  # tracing of the inference function
        model.predict(x, batch_size=args.batch_size, verbose=0)
    rates, cpu_rates = throughputs(models, x, y, args)
    return {
        "losses": losses,
        "rates": rates,
        "cpu_rates": cpu_rates,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }


def measure(args):
    """Training sequences per second, wall and CPU, of each model."""
    results = measure_all(args)
    return results["rates"]["training"], results["cpu_rates"]["training"]


def ratios(rates, cpu_rates):
    """Ours / reference: of the medians, median of the paired ratios, per CPU-s.

    Each dictionary has ours first, then the reference (as `build_pair`).
    """
    ours, reference = rates.values()
    cpu_ours, cpu_reference = cpu_rates.values()
    return {
        "ratio": statistics.median(ours) / statistics.median(reference),
        "paired_ratio": statistics.median(
            a / b for a, b in zip(ours, reference, strict=True)
        ),
        "cpu_ratio": statistics.median(cpu_ours) / statistics.median(cpu_reference),
    }


def loss_agreement(losses, rtol):
    """The largest relative difference of the two loss curves, and whether <= rtol."""
    ours, reference = losses.values()
    worst = max(
        abs(a - b) / max(abs(b), 1e-12) for a, b in zip(ours, reference, strict=True)
    )
    return worst, worst <= rtol


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", choices=sorted(LAYERS), default="lstm")
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
        "--steps-per-iteration",
        type=int,
        default=None,
        help="time steps per loop iteration of ours (default: the layer's, 8)",
    )
    parser.add_argument(
        "--jit-compile", action="store_true", help="compile both with XLA"
    )
    parser.add_argument(
        "--loss-epochs",
        type=int,
        default=3,
        help="epochs of the loss-curve check (also the warm-up)",
    )
    parser.add_argument(
        "--loss-rtol",
        type=float,
        default=1e-3,
        help="largest relative difference allowed between the two loss curves",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument(
        "--record",
        nargs="?",
        const=str(RESULTS_DIR),
        metavar="RESULTS_DIR",
        help="write the run record into RESULTS_DIR/benchmarks/rnn_throughput.json "
        "(default RESULTS_DIR: the checkout's results/); LSTM only",
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.record and args.layer != "lstm":
        parser.error(
            "--record records the LSTM comparison (the README's sentence), "
            f"got --layer {args.layer}"
        )

    with BenchmarkRun("rnn_throughput", argv) as run:
        results = measure_all(args)
    worst, agree = loss_agreement(results["losses"], args.loss_rtol)
    ours, reference = names(args)
    print(f"machine: {machine()}")
    print(f"kerastoolkit from: {Path(kerastoolkit.__file__).parent}")
    print(
        f"{ours} against {reference}; shapes: batch {args.batch_size}, "
        f"{args.timesteps} steps x "
        f"{args.features} features, {args.units} units; unroll={args.unroll}, "
        f"jit_compile={args.jit_compile}, steps per iteration (ours) "
        f"{args.steps_per_iteration or LAYERS[args.layer][0].steps_per_iteration}; "
        f"{args.repeats} repetitions of "
        f"{args.sequences} sequences"
    )
    print(
        "load average (1, 5, 15 min): before "
        + " ".join(f"{v:.2f}" for v in results["load_average_before"])
        + ", after "
        + " ".join(f"{v:.2f}" for v in results["load_average_after"])
    )
    for name, curve in results["losses"].items():
        print(f"loss per epoch, {name:<30} " + " ".join(f"{v:.6f}" for v in curve))
    print(
        f"loss curves agree: {agree} (largest relative difference {worst:.2e}, "
        f"tolerance {args.loss_rtol:.0e})"
    )
    summary = {}
    for kind in ("training", "inference"):
        rates, cpu_rates = results["rates"][kind], results["cpu_rates"][kind]
        summary[kind] = ratios(rates, cpu_rates)
        print(f"\n{kind}")
        print(
            f"{'layer':<30} {'median seq/s':>12} {'min':>8} {'max':>8} "
            f"{'seq/CPU-s':>10}"
        )
        for name, values in rates.items():
            print(
                f"{name:<30} {statistics.median(values):>12.0f} {min(values):>8.0f} "
                f"{max(values):>8.0f} {statistics.median(cpu_rates[name]):>10.0f}"
            )
        print(
            f"{kind} throughput, ours / reference ({ours} / {reference}; "
            "above 1: ours faster):\n"
            f"  ratio of the median sequences per second {summary[kind]['ratio']:.3f}"
            "\n  median of the per-repetition ratios "
            f"{summary[kind]['paired_ratio']:.3f}\n"
            f"  ratio of the median sequences per CPU-second "
            f"{summary[kind]['cpu_ratio']:.3f}"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "machine": machine(),
                    "kerastoolkit": str(Path(kerastoolkit.__file__).parent),
                    "ours": ours,
                    "reference": reference,
                    "arguments": vars(args),
                    **results,
                    "ratios": summary,
                    "loss_curves_agree": agree,
                    "loss_largest_relative_difference": worst,
                },
                out,
                indent=2,
            )
    if args.record:
        kinds = {"training": "", "inference": "inference_"}
        run.write(
            args.record,
            ours=ours,
            reference=reference,
            repetitions={
                side: {
                    f"{prefix}{unit}": results[key][kind][name]
                    for kind, prefix in kinds.items()
                    for unit, key in (
                        ("sequences_per_second", "rates"),
                        ("sequences_per_cpu_second", "cpu_rates"),
                    )
                }
                for side, name in (("ours", ours), ("reference", reference))
            },
            details={
                "arguments": vars(args),
                "machine": machine(),
                "kerastoolkit": str(Path(kerastoolkit.__file__).parent),
                "ratio_of_medians": summary["training"]["ratio"],
                "median_of_paired_ratios": summary["training"]["paired_ratio"],
                "cpu_ratio": summary["training"]["cpu_ratio"],
                "ratios": summary,
                "losses": results["losses"],
                "loss_curves_agree": agree,
                "loss_largest_relative_difference": worst,
                "load_average_before": results["load_average_before"],
                "load_average_after": results["load_average_after"],
            },
        )
    return summary["training"]["ratio"]


if __name__ == "__main__":
    main()
