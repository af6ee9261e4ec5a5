"""Word2Vec against gensim's Word2Vec: quality and training throughput.

Trains both on the demo's corpus (Multi30k English train + tiny Shakespeare,
lower-cased) with the same hyperparameters (those of
`applications/nlp/word2vec/config.py`) and the same number of threads
(gensim's `workers`; TensorFlow's intra- and inter-op pools), `--runs`
times with seeds 0, 1, ... after one uncounted warm-up run on 2,000
sentences, and prints per run, and as medians with their min-max spread:
WordSim-353 and SimLex-999 Spearman, Google analogy accuracy (3CosAdd), and
training words per second (corpus tokens x epochs / wall time of training;
ours is timed around `fit`, gensim's around `train`, both after their
vocabulary is built), and the same per second of process CPU time (all
threads), which other jobs on a shared machine disturb less.
Goal: quality within 0.03 Spearman of gensim, at least half its throughput.

    python benchmarks/word2vec_vs_gensim.py [--runs 5] [--threads 2]
        [--epochs 5] [--architecture skipgram] [--sentences-per-batch N]
        [--pairs-per-update N] [--max-sentences N] [--json PATH]
        [--record [RESULTS_DIR]]

`--record` writes the run's record (command, commit, packages, machine, load
during the run, every run's figures) into
`results/benchmarks/word2vec_vs_gensim.json`, from which the README's sentence
is rendered (`python -m applications results --write`).
"""

import argparse
import dataclasses
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

# The demo's corpus, training and evaluation, and the run records: this
# checkout's `applications`, not an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from applications.results import RESULTS_DIR, BenchmarkRun

FIGURES = ("wordsim353_spearman", "simlex999_spearman", "analogy_accuracy")


def _cpu():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--architecture", default="skipgram")
    parser.add_argument("--sentences-per-batch", type=int, default=None)
    parser.add_argument("--pairs-per-update", type=int, default=None)
    parser.add_argument("--max-sentences", type=int, default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--record",
        nargs="?",
        const=str(RESULTS_DIR),
        metavar="RESULTS_DIR",
        help="write the run record into RESULTS_DIR/benchmarks/"
        "word2vec_vs_gensim.json (default RESULTS_DIR: the checkout's results/)",
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    # Before any op runs: the same thread count as gensim's workers.
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import gensim
    import keras

    from applications.nlp.word2vec.config import Config
    from applications.nlp.word2vec.train import (
        evaluate,
        load_corpus,
        train_gensim,
        train_keras,
    )

    sentences = load_corpus(args.max_sentences)
    corpus_words = sum(len(s) for s in sentences)
    print(
        f"{len(sentences)} sentences, {corpus_words} words; {args.threads} threads; "
        f"{_cpu()}, {os.cpu_count()} CPUs; TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, gensim {gensim.__version__}; "
        f"load average {_load()}"
    )
    rows = []
    timing = BenchmarkRun("word2vec_vs_gensim", argv)
    with timing, tempfile.TemporaryDirectory() as scratch:
        for run in range(-1, args.runs):
            # Run -1 is the warm-up (tracing, caches), on a slice, not counted.
            corpus = sentences[:2000] if run < 0 else sentences
            config = dataclasses.replace(
                Config(),
                architecture=args.architecture,
                epochs=args.epochs,
                workers=args.threads,
                sentences_per_batch=args.sentences_per_batch
                or Config.sentences_per_batch,
                pairs_per_update=args.pairs_per_update or Config.pairs_per_update,
                min_count=2 if run < 0 else Config.min_count,
                seed=max(run, 0),
                output_dir=os.path.join(scratch, str(run)),
            )
            keras.utils.set_random_seed(max(run, 0))
            vocabulary, model, seconds, cpu = train_keras(corpus, config)
            gensim_model, gensim_seconds, gensim_cpu = train_gensim(corpus, config)
            if run < 0:
                continue
            ours = evaluate(vocabulary.words, model.word_vectors())
            theirs = evaluate(gensim_model.wv.index_to_key, gensim_model.wv.vectors)
            row = {"run": run}
            for name in FIGURES:
                row[name] = ours[name]
                row[f"gensim_{name}"] = theirs[name]
            row["words_per_second"] = corpus_words * args.epochs / seconds
            row["gensim_words_per_second"] = corpus_words * args.epochs / gensim_seconds
            # Each run's ratio: both models saw the same machine load.
            row["throughput_ratio"] = seconds and gensim_seconds / seconds
            # CPU time (all threads of the process): what the training cost,
            # less sensitive than wall time to other jobs on a shared machine.
            row["words_per_cpu_second"] = corpus_words * args.epochs / cpu
            row["gensim_words_per_cpu_second"] = corpus_words * args.epochs / gensim_cpu
            row["cpu_time_ratio"] = cpu and gensim_cpu / cpu
            rows.append(row)
            print(
                "run {run}: ".format(**row)
                + ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "run")
            )
    names = [name for name in rows[0] if name != "run"]
    medians = {name: statistics.median(r[name] for r in rows) for name in names}
    spread = {
        name: (min(r[name] for r in rows), max(r[name] for r in rows)) for name in names
    }
    print(f"\nmedian [min, max] over {args.runs} runs: ours | gensim | ours - gensim")
    for name in [*FIGURES, "words_per_second", "words_per_cpu_second"]:
        ours, theirs = medians[name], medians[f"gensim_{name}"]
        (a, b), (c, d) = spread[name], spread[f"gensim_{name}"]
        print(
            f"  {name:22s} {ours:.4g} [{a:.4g}, {b:.4g}] | {theirs:.4g} "
            f"[{c:.4g}, {d:.4g}] | {ours - theirs:+.4g}"
        )
    ratio = medians["throughput_ratio"]
    low, high = spread["throughput_ratio"]
    print(
        f"  throughput ratio ours / gensim (median of runs): {ratio:.3f} "
        f"[{low:.3f}, {high:.3f}]"
    )
    low, high = spread["cpu_time_ratio"]
    print(
        "  CPU-time throughput ratio ours / gensim (median of runs): "
        f"{medians['cpu_time_ratio']:.3f} [{low:.3f}, {high:.3f}]"
    )
    quality = all(
        medians[name] >= medians[f"gensim_{name}"] - 0.03
        for name in ("wordsim353_spearman", "simlex999_spearman")
    )
    print(f"load average at the end: {_load()}")
    print(
        f"goal: Spearman within 0.03 of gensim: {'met' if quality else 'NOT met'}; "
        f"throughput >= 0.5 x gensim: {'met' if ratio >= 0.5 else 'NOT met'}"
    )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                {
                    "args": vars(args),
                    "runs": rows,
                    "medians": medians,
                    "throughput_ratio": ratio,
                },
                handle,
                indent=2,
            )
    if args.record:
        compared = [*FIGURES, "words_per_second", "words_per_cpu_second"]
        timing.write(
            args.record,
            ours=f"kerastoolkit Word2Vec ({args.architecture}, Keras fit)",
            reference=f"gensim {gensim.__version__} Word2Vec ({args.architecture})",
            # One pair per run (seeds 0, 1, ...): both trained in the same run.
            repetitions={
                "ours": {k: [r[k] for r in rows] for k in compared},
                "reference": {k: [r[f"gensim_{k}"] for r in rows] for k in compared},
            },
            details={
                "arguments": vars(args),
                "sentences": len(sentences),
                "corpus_words": corpus_words,
            },
        )


if __name__ == "__main__":
    main()
