"""PPCA fits against scikit-learn's PCA on Fashion-MNIST train: time and likelihood.

Fits `ProbabilisticPCA` three ways (closed form, EM, gradient ascent through
`keras.Model.fit`) and scikit-learn's `PCA(n_components=q)` (whose `score` is
the same PPCA log-likelihood) on the same 60,000 x 784 float64 array of pixels
in [0, 1], in the same process, and prints the median fit time, its spread,
the ratio to scikit-learn's time and the average log-likelihood of each fit.
The goal: the closed form within 2x of scikit-learn's time at equal
likelihood.

    python benchmarks/ppca_fit.py [--latent-dim 20] [--repeats 5] [--json PATH]
        [--record [RESULTS_DIR]]

`--record` writes the run's record (command, commit, packages, machine, load
during the run, every repetition's times) into
`results/benchmarks/ppca_fit.json`, from which the README's sentence is
rendered (`python -m applications results --write`).
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
import sklearn
import tensorflow as tf
from sklearn.decomposition import PCA

from applications.results import RESULTS_DIR, BenchmarkRun
from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.models.probabilistic_pca import ProbabilisticPCA


def machine():
    """The CPU model, core count and library versions, for the record."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def timed(fits, repeats, warmup):
    """Times each of `fits`, interleaved: one round runs every fit once.

    Interleaving gives every fit the same share of a machine whose load
    changes during the run.

    Args:
        fits: list of functions of no arguments.
        repeats: timed rounds.
        warmup: untimed rounds first.

    Returns:
        A list with one `(seconds, last_result)` pair per fit.
    """
    seconds = [[] for _ in fits]
    results = [None] * len(fits)
    for round_index in range(warmup + repeats):
        for index, fit in enumerate(fits):
            start = time.perf_counter()
            results[index] = fit()
            if round_index >= warmup:
                seconds[index].append(time.perf_counter() - start)
    return list(zip(seconds, results, strict=True))


def average_log_likelihood(model, x):
    return float(np.mean(keras.ops.convert_to_numpy(model.log_likelihood(x))))


def _iterative_rows(rows, x, q, args):
    """Appends the EM and gradient-fit rows (slow: no warm-up)."""

    def em():
        model = ProbabilisticPCA(latent_dim=q)
        history = model.fit_em(x, max_iter=args.em_max_iter, tol=args.em_tol, seed=0)
        return model, history

    ((seconds, (model, history)),) = timed([em], args.iterative_repeats, warmup=0)
    iterations = len(history["log_likelihood"]) - 1
    rows.append(
        {
            "method": "ProbabilisticPCA.fit_em",
            "seconds": seconds,
            "log_likelihood": average_log_likelihood(model, x),
            "notes": f"{iterations} iterations, tol {args.em_tol:g}, "
            f"{'converged' if history['converged'] else 'max_iter reached'}",
        }
    )

    x32 = x.astype(np.float32)

    def gradient():
        keras.utils.set_random_seed(0)
        model = ProbabilisticPCA(latent_dim=q)
        model.compile(optimizer=keras.optimizers.Adam(args.gradient_learning_rate))
        full_batch = tf.data.Dataset.from_tensors(x32).repeat()
        model.fit(
            full_batch,
            steps_per_epoch=args.gradient_steps,
            epochs=1,
            shuffle=False,
            verbose=0,
        )
        return model

    ((seconds, model),) = timed([gradient], args.iterative_repeats, warmup=0)
    rows.append(
        {
            "method": "ProbabilisticPCA + Keras fit (gradient)",
            "seconds": seconds,
            "log_likelihood": average_log_likelihood(model, x),
            "notes": f"{args.gradient_steps} full-batch Adam steps, "
            f"lr {args.gradient_learning_rate:g}, float32",
        }
    )


def run(args):
    (x_train, _), _ = fashion_mnist.load_data(data_dir=args.data_dir or None)
    if args.train_size:
        x_train = x_train[: args.train_size]
    x = x_train.reshape(len(x_train), -1).astype(np.float64) / 255.0
    q = args.latent_dim
    rows = []

    def reference():
        return PCA(n_components=q).fit(x)

    def closed_form():
        model = ProbabilisticPCA(latent_dim=q)
        model.fit_closed_form(x)
        return model

    (seconds, pca), (closed_seconds, model) = timed(
        [reference, closed_form], args.repeats, warmup=1
    )
    rows.append(
        {
            "method": f"scikit-learn PCA ({pca._fit_svd_solver})",
            "seconds": seconds,
            "log_likelihood": float(pca.score(x)),
            "notes": "",
        }
    )

    rows.append(
        {
            "method": "ProbabilisticPCA.fit_closed_form",
            "seconds": closed_seconds,
            "log_likelihood": average_log_likelihood(model, x),
            "notes": "",
        }
    )

    if args.iterative_repeats > 0:
        _iterative_rows(rows, x, q, args)

    reference_time = statistics.median(rows[0]["seconds"])
    reference_ll = rows[0]["log_likelihood"]
    for row in rows:
        row["median_s"] = statistics.median(row["seconds"])
        row["ratio"] = row["median_s"] / reference_time
        row["relative_ll_difference"] = (row["log_likelihood"] - reference_ll) / abs(
            reference_ll
        )
    return {
        "machine": machine(),
        "data": f"Fashion-MNIST train, {x.shape[0]} x {x.shape[1]}, float64 in [0, 1]",
        "latent_dim": q,
        "rows": rows,
    }


def print_table(result):
    info = result["machine"]
    print(
        f"machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
        f"NumPy {info['numpy']}, scikit-learn {info['scikit-learn']}, "
        f"TensorFlow {info['tensorflow']}, Keras {info['keras']}"
    )
    print(f"data: {result['data']}; latent_dim q = {result['latent_dim']}")
    header = (
        f"{'method':<42} {'median s':>9} {'min-max s':>15} {'runs':>4} "
        f"{'ratio':>6} {'avg log-lik':>14} {'rel. diff':>10}  notes"
    )
    print(header)
    print("-" * len(header))
    for row in result["rows"]:
        spread = f"{min(row['seconds']):.2f}-{max(row['seconds']):.2f}"
        print(
            f"{row['method']:<42} {row['median_s']:>9.3f} {spread:>15} "
            f"{len(row['seconds']):>4} {row['ratio']:>6.2f} "
            f"{row['log_likelihood']:>14.6f} {row['relative_ll_difference']:>10.1e}"
            f"  {row['notes']}"
        )
    closed = result["rows"][1]
    verdict = "met" if closed["ratio"] <= 2.0 else "NOT met"
    print(
        f"closed form / scikit-learn time: {closed['ratio']:.2f}x at relative "
        f"log-likelihood difference {closed['relative_ll_difference']:.1e} "
        f"(goal <= 2x: {verdict}). ratio = ours / scikit-learn, median times; "
        "rel. diff = (ours - scikit-learn) / |scikit-learn|."
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latent-dim", type=int, default=20)
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="timed rounds of scikit-learn and the closed form, interleaved, after "
        "one warm-up round",
    )
    parser.add_argument(
        "--iterative-repeats",
        type=int,
        default=1,
        help="timed runs of EM and of the gradient fit (no warm-up: they are "
        "slow); 0 skips them",
    )
    parser.add_argument("--em-max-iter", type=int, default=20000)
    parser.add_argument("--em-tol", type=float, default=1e-6)
    parser.add_argument("--gradient-steps", type=int, default=1500)
    parser.add_argument("--gradient-learning-rate", type=float, default=0.01)
    parser.add_argument("--train-size", type=int, default=0, help="0 = all 60,000")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--json", default="", help="also write the result here")
    parser.add_argument(
        "--record",
        nargs="?",
        const=str(RESULTS_DIR),
        metavar="RESULTS_DIR",
        help="write the run record into RESULTS_DIR/benchmarks/ppca_fit.json "
        "(default RESULTS_DIR: the checkout's results/)",
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    with BenchmarkRun("ppca_fit", argv) as timing:
        result = run(args)
    print_table(result)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    if args.record:
        reference, closed_form = result["rows"][:2]
        timing.write(
            args.record,
            ours=closed_form["method"],
            reference=reference["method"],
            # Interleaved rounds: the i-th times of both were measured together.
            repetitions={
                "ours": {"fit_seconds": closed_form["seconds"]},
                "reference": {"fit_seconds": reference["seconds"]},
            },
            details={
                "arguments": vars(args),
                "data": result["data"],
                "latent_dim": result["latent_dim"],
                "relative_log_likelihood_difference": closed_form[
                    "relative_ll_difference"
                ],
                "rows": result["rows"],
            },
        )
    return result


if __name__ == "__main__":
    main()
