"""Committed run records (`results/`) and the README tables rendered from them.

Every figure the README quotes comes from a record: a demo's full run is copied
from its run folder into `results/NAME.json` by

    python -m applications run NAME
    python -m applications results add runs/NAME/latest [--note TEXT]

and a benchmark writes `results/benchmarks/NAME.json` itself
(`python benchmarks/NAME.py --record`). Then

    python -m applications results            # prints the rendered tables
    python -m applications results --write    # puts them into README.md
    python -m applications results --check    # exit 1 and a diff if README differs

What each demo's rows and each benchmark's sentence say is written once, in
`TABLE` and `BENCHMARKS` below: format strings over a record's figures, so a
change of wording or precision needs no rerun. A demo or benchmark without a
record renders "no recorded run yet", never a figure.

This module imports neither TensorFlow nor a demo at import time: the check
runs in a fraction of a second.
"""

import argparse
import dataclasses
import difflib
import json
import math
import os
import shlex
import statistics
import string
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from applications.provenance import ROOT, LoadSampler, provenance

RESULTS_DIR = ROOT / "results"
README = ROOT / "README.md"
NO_RECORD = "no recorded run yet"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
BENCHMARKS_BEGIN, BENCHMARKS_END = (
    "<!-- benchmarks:begin -->",
    "<!-- benchmarks:end -->",
)


class ResultsError(ValueError):
    """A record cannot be added or rendered, or the README lacks its markers."""


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of the README's Results table.

    Attributes:
        metric: what is measured. Static text: no figure of a run goes here.
        ours: a `str.format` template over the record: `m` its metrics,
            `c` its config, `r` the record itself (`seconds`, `minutes`,
            `load_mean`, `note`, ...), e.g. `"{m[test_accuracy]:.2%}"`.
        reference: the published figure to compare with (static text).
    """

    metric: str
    ours: str
    reference: str = "-"


# The Results table: row(s) per demo, in the README's order. A demo's
# `results/NAME.json` fills its `ours` templates.
TABLE = {
    "fashion_mnist": (
        Row(
            "test accuracy (official 10k test split)",
            "{m[test_accuracy]:.2%} ({m[epochs_run]} epochs, "
            "{m[train_minutes]:.0f} min training)",
            "2-conv CNN 91.6% (Xiao et al. 2017); WRN-40-4 96.7% (Zhong et al. 2017)",
        ),
    ),
    "transfer": tuple(
        Row(
            f"{title}: test accuracy at 10 labels per class, fine-tuned / from "
            "scratch, and the paired gain [95% interval], at the end of training "
            "(500 steps); the mean gain after 25 / 100 / 300 steps",
            f"{{m[{p}_finetuned_accuracy_10]:.3f}} / "
            f"{{m[{p}_scratch_accuracy_10]:.3f}}, "
            f"{{m[{p}_finetuned_gain_10]:+.3f}} "
            f"[{{m[{p}_finetuned_gain_low_10]:+.3f}}, "
            f"{{m[{p}_finetuned_gain_high_10]:+.3f}}]; "
            f"{{m[{p}_finetuned_gain_10_at_25_steps]:+.3f}} / "
            f"{{m[{p}_finetuned_gain_10_at_100_steps]:+.3f}} / "
            f"{{m[{p}_finetuned_gain_10_at_300_steps]:+.3f}} ({{m[seeds]}} seeds)",
        )
        for p, title in (
            ("fashion_split", "Fashion-MNIST 5 classes -> the other 5"),
            ("digits_style", "MNIST 5k -> upsampled 8x8 digits"),
            ("fashion_to_mnist", "Fashion-MNIST -> MNIST (negative example)"),
        )
    ),
    "semi_supervised": (
        Row(
            "Fashion-MNIST test accuracy at 10 labels per class: SimCLR "
            "fine-tuned / from scratch, and the paired gain [95% interval]; best "
            "other representation; linear probes of SimCLR and PPCA",
            "{m[fashion_simclr_finetuned_accuracy_10]:.3f} / "
            "{m[fashion_scratch_accuracy_10]:.3f}, "
            "{m[fashion_simclr_finetuned_gain_10]:+.3f} "
            "[{m[fashion_simclr_finetuned_gain_low_10]:+.3f}, "
            "{m[fashion_simclr_finetuned_gain_high_10]:+.3f}]; autoencoder "
            "{m[fashion_autoencoder_finetuned_accuracy_10]:.3f}, VAE "
            "{m[fashion_vae_finetuned_accuracy_10]:.3f}; probes: SimCLR "
            "{m[fashion_simclr_probe_accuracy_10]:.3f}, PPCA "
            "{m[fashion_ppca_probe_accuracy_10]:.3f} ({m[seeds]} seeds)",
        ),
    ),
    "multitask": tuple(
        Row(
            f"{title}: main-task test accuracy at 5 labels per class, joint / "
            "alone, and the paired gain [95% interval], at the end of training "
            "(600 steps); the mean gain after 50 / 100 / 200 steps",
            f"{{m[{p}_joint_accuracy_5]:.3f}} / {{m[{p}_alone_accuracy_5]:.3f}}, "
            f"{{m[{p}_joint_gain_5]:+.3f}} [{{m[{p}_joint_gain_low_5]:+.3f}}, "
            f"{{m[{p}_joint_gain_high_5]:+.3f}}]; "
            f"{{m[{p}_joint_gain_5_at_50_steps]:+.3f}} / "
            f"{{m[{p}_joint_gain_5_at_100_steps]:+.3f}} / "
            f"{{m[{p}_joint_gain_5_at_200_steps]:+.3f}} ({{m[seeds]}} seeds)",
        )
        for p, title in (
            ("digits_style", "upsampled 8x8 digits + MNIST 5k digits"),
            ("fashion_rotation", "Fashion-MNIST + rotation prediction"),
            ("fashion_mnist", "Fashion-MNIST + MNIST digits (negative example)"),
        )
    ),
    "word2vec": (
        Row(
            "WordSim-353 / SimLex-999 Spearman, analogy accuracy: ours vs gensim "
            "trained in the same run",
            "{m[wordsim353_spearman]:.3f} / {m[simlex999_spearman]:.3f} / "
            "{m[analogy_accuracy]:.3f} vs {m[gensim_wordsim353_spearman]:.3f} / "
            "{m[gensim_simlex999_spearman]:.3f} / {m[gensim_analogy_accuracy]:.3f}",
            "skip-gram on 6B words of Google News: analogies 0.53 (Mikolov et al. "
            "2013; a corpus about 10,000x larger)",
        ),
    ),
    "mnist1d": (
        Row(
            "test accuracy: LSTM / simple RNN / 1-D CNN",
            "{m[lstm_test_accuracy]:.1%} / {m[rnn_test_accuracy]:.1%} / "
            "{m[cnn_test_accuracy]:.1%}",
            "GRU 91%, CNN 94%, MLP 68% (Greydanus 2020)",
        ),
    ),
    "sunspots": (
        Row(
            "one-step test MSE: AR(k) (order by AIC) / WaveNet / LSTM; persistence "
            "forecast",
            "{m[test_years]}: AR({m[ar_aic_order]}) {m[test_mse_ar_aic]:.1f} / "
            "{m[test_mse_wavenet]:.1f} / {m[test_mse_lstm]:.1f}; "
            "{m[test_mse_persistence]:.1f}",
            "ARIMA about 217 (Zhang 2003, test years up to 1987: not the same years)",
        ),
    ),
    "char_lm": (
        Row(
            "validation bits per character: LSTM / WaveNet",
            "{m[lstm_validation_bits_per_char]:.2f} / "
            "{m[wavenet_validation_bits_per_char]:.2f} ({m[lstm_steps]:,} / "
            "{m[wavenet_steps]:,} steps)",
            "- (nanoGPT's 10.7M-parameter char model: 1.47 nats = 2.12 bits)",
        ),
    ),
    "fashion_vae": (
        Row(
            "test MSE per pixel: PCA / linear AE / deep AE / VAE",
            "q = {m[latent_dim]}: {m[pca_test_mse]:.4f} / "
            "{m[linear_ae_test_mse]:.4f} / {m[deep_ae_test_mse]:.4f} / "
            "{m[vae_test_mse]:.4f}",
        ),
        Row(
            "test negative log-likelihood (nats/image, lower is better): PPCA / "
            "VAE (-ELBO, an upper bound)",
            "{m[ppca_test_nll]:.1f} / {m[vae_test_negative_elbo]:.1f}",
        ),
    ),
    "dcgan": (
        Row(
            "Fréchet distance to the test set in a Fashion-MNIST classifier's "
            "features: DCGAN / conditional DCGAN / VAE samples; real train vs test "
            "(the floor)",
            "{m[fd_dcgan]:.1f} / {m[fd_conditional_dcgan]:.1f} / {m[fd_vae]:.1f}; "
            "{m[fd_real_train_vs_test]:.2f} (classifier test accuracy "
            "{m[classifier_test_accuracy]:.1%}, {m[dcgan_epochs]} GAN epochs)",
            "- (not comparable to Inception FID)",
        ),
        Row(
            "classes covered by DCGAN samples, largest class; conditional samples "
            "classified as the asked class",
            "{m[dcgan_classes_covered]} of 10, largest "
            "{m[dcgan_largest_class_fraction]:.1%}; "
            "{m[conditional_label_accuracy]:.1%}",
        ),
    ),
    "cyclegan": (
        Row(
            "digit kept after translation, MNIST -> sklearn / sklearn -> MNIST "
            "(untranslated baseline); after the full cycle",
            "{m[content_mnist_to_digits]:.1%} "
            "({m[baseline_mnist_read_by_digits_classifier]:.1%}) / "
            "{m[content_digits_to_mnist]:.1%} "
            "({m[baseline_digits_read_by_mnist_classifier]:.1%}); "
            "{m[cycle_content_mnist]:.1%} / {m[cycle_content_digits]:.1%}",
        ),
    ),
    "roberta_sentiment": (
        Row(
            "test accuracy %, RoBERTa pretrained locally / from scratch (paired "
            "difference), CNN-rand, CNN with local word2vec, BiLSTM; mean ± 95% "
            "interval over seeds, clean splits",
            "SST-2 {m[sst2_roberta_pretrained_test_accuracy_mean]:.1f} ± "
            "{m[sst2_roberta_pretrained_test_accuracy_ci95]:.1f} / "
            "{m[sst2_roberta_scratch_test_accuracy_mean]:.1f} ± "
            "{m[sst2_roberta_scratch_test_accuracy_ci95]:.1f} "
            "({m[sst2_pretrained_minus_scratch_mean]:+.1f} ± "
            "{m[sst2_pretrained_minus_scratch_ci95]:.1f}), "
            "{m[sst2_cnn_rand_test_accuracy_mean]:.1f}, "
            "{m[sst2_cnn_word2vec_test_accuracy_mean]:.1f}, "
            "{m[sst2_bilstm_test_accuracy_mean]:.1f}; MR "
            "{m[mr_roberta_pretrained_test_accuracy_mean]:.1f} ± "
            "{m[mr_roberta_pretrained_test_accuracy_ci95]:.1f} / "
            "{m[mr_roberta_scratch_test_accuracy_mean]:.1f} ± "
            "{m[mr_roberta_scratch_test_accuracy_ci95]:.1f} "
            "({m[mr_pretrained_minus_scratch_mean]:+.1f} ± "
            "{m[mr_pretrained_minus_scratch_ci95]:.1f}), "
            "{m[mr_cnn_rand_test_accuracy_mean]:.1f}, "
            "{m[mr_cnn_word2vec_test_accuracy_mean]:.1f}, "
            "{m[mr_bilstm_test_accuracy_mean]:.1f} ({c[seeds]} seeds)",
            "Kim 2014 CNN-rand: SST-2 82.7, MR 76.1; CNN-non-static: 87.2, 81.5; "
            "RoBERTa-base SST-2 94.8",
        ),
    ),
    "translation": (
        Row(
            "test2016 sacreBLEU, Transformer greedy / beam-4; attention LSTM "
            "greedy / beam-4",
            "{m[transformer_greedy_test2016_bleu]:.2f} / "
            "{m[transformer_beam4_test2016_bleu]:.2f} ({m[transformer_epochs]} "
            "epochs, {m[transformer_train_seconds]:,.0f} s of training); "
            "{m[seq2seq_greedy_test2016_bleu]:.2f} / "
            "{m[seq2seq_beam4_test2016_bleu]:.2f} ({m[seq2seq_epochs]} epochs, "
            "{m[seq2seq_train_seconds]:,.0f} s); `{m[sacrebleu_signature]}`",
            "attention NMT 35.5 (Elliott & Kadar 2017); small Transformers 38-41",
        ),
    ),
    "dqn_cartpole": (
        Row(
            "seeds solved (greedy mean return >= 475 on CartPole-v1, 500 at "
            "most); worst seed, mean over seeds",
            "{m[seeds_solved]:.0f} of {m[num_seeds]:.0f} seeds; "
            "{m[eval_worst_seed_mean_return]:.1f}, {m[eval_mean_return]:.1f} over "
            "{c[eval_episodes]} episodes each, after {m[env_steps_per_seed]:,.0f} "
            "steps ({m[train_seconds_total]:,.0f} s of training for all seeds)",
            "rl-baselines3-zoo DQN: 500 at 5e4 steps",
        ),
    ),
}


@dataclasses.dataclass(frozen=True)
class Sentence:
    """One benchmark's sentence in the README.

    Attributes:
        what: what is compared (static text, shown with or without a record).
        template: a `str.format` template over the record, with every figure
            of ours and of the reference by the name the script gives it:
            `ours[k]`, `ref[k]` (medians over repetitions), `ratio[k]`
            (ours / reference, of the medians), `paired[k]`, `low[k]`, `high[k]`
            (median, least and largest of the per-repetition ratios
            ours / reference), `diff[k]` (ours - reference, of the medians),
            `n` (repetitions), `d` (the script's details), `r` (the record).
            Ratios are always ours / reference: the wording says so ("ours
            takes X times the reference's wall time", "throughput ratio
            ours/reference = X"), so no ratio can be stated backwards.
    """

    what: str
    template: str


BENCHMARKS = {
    "rnn_throughput": Sentence(
        "this package's LSTM vs `keras.layers.LSTM`, training and inference throughput",
        "with batch {d[arguments][batch_size]}, {d[arguments][timesteps]} steps x "
        "{d[arguments][features]} features, {d[arguments][units]} units: training "
        "throughput ratio ours/keras = {paired[sequences_per_second]:.2f} "
        "(median of {n} same-run repetitions, {low[sequences_per_second]:.2f}-"
        "{high[sequences_per_second]:.2f}); per CPU-second: throughput ratio "
        "ours/keras = {ratio[sequences_per_cpu_second]:.2f}; inference "
        "throughput ratio ours/keras = {paired[inference_sequences_per_second]:.2f}"
        " ({low[inference_sequences_per_second]:.2f}-"
        "{high[inference_sequences_per_second]:.2f}), per CPU-second "
        "{ratio[inference_sequences_per_cpu_second]:.2f}",
    ),
    "word2vec_vs_gensim": Sentence(
        "Keras word2vec vs gensim on the demo's corpus, same settings and threads",
        "threads {d[arguments][threads]}, epochs {d[arguments][epochs]}; quality, "
        "ours minus gensim (medians of {n} runs): WordSim-353 "
        "{diff[wordsim353_spearman]:+.3f}, SimLex-999 "
        "{diff[simlex999_spearman]:+.3f}, analogies {diff[analogy_accuracy]:+.3f}; "
        "throughput ratio ours/gensim = {paired[words_per_second]:.2f} in words "
        "per wall-clock second ({low[words_per_second]:.2f}-"
        "{high[words_per_second]:.2f}) and {paired[words_per_cpu_second]:.2f} per "
        "CPU-second",
    ),
    "dqn_vs_sb3": Sentence(
        "this DQN vs Stable-Baselines3's at the rl-baselines3-zoo CartPole settings",
        "{d[arguments][steps]:,} steps per seed, threads {d[arguments][threads]} "
        "each: ours takes {ratio[wall_seconds]:.2f} times SB3's wall time (medians "
        "{ours[wall_seconds]:.1f} s vs {ref[wall_seconds]:.1f} s over {n} seeds; "
        "per seed {low[wall_seconds]:.2f}-{high[wall_seconds]:.2f}) and "
        "{ratio[cpu_seconds]:.2f} times its CPU time; median greedy return "
        "{ours[eval_return]:.1f} (ours) vs {ref[eval_return]:.1f} (SB3)",
    ),
    "ppca_fit": Sentence(
        "the closed-form PPCA fit vs scikit-learn's PCA on Fashion-MNIST",
        "ours takes {ratio[fit_seconds]:.2f} times scikit-learn's wall time "
        "(medians of {n} interleaved fits, {ours[fit_seconds]:.2f} s vs "
        "{ref[fit_seconds]:.2f} s; {d[data]}, q = {d[latent_dim]}) at a relative "
        "log-likelihood difference of {d[relative_log_likelihood_difference]:.1e}",
    ),
    "mnist1d_cnn": Sentence(
        "the MNIST-1D demo's CNN vs the paper's CNN settings (Greydanus 2020: 94%)",
        "median test accuracy over seeds {d[seeds]}: {ours[test_accuracy]:.1%} "
        "(ours, {d[config][cnn_filters]} filters, {d[epochs][ours]} epochs) vs "
        "{ref[test_accuracy]:.1%} (the paper's settings, {d[epochs][reference]} "
        "epochs); validation {ours[validation_accuracy]:.1%} vs "
        "{ref[validation_accuracy]:.1%}; ours takes {ratio[train_seconds]:.2f} "
        "times the reference's training time",
    ),
}


# --- reading and rendering ------------------------------------------------


def record_path(name, results_dir=RESULTS_DIR):
    return Path(results_dir) / f"{name}.json"


def benchmark_path(name, results_dir=RESULTS_DIR):
    return Path(results_dir) / "benchmarks" / f"{name}.json"


def _read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as error:
        raise ResultsError(f"{path} is not valid JSON: {error}") from error


def load_record(name, results_dir=RESULTS_DIR):
    """The committed record `results/NAME.json` of demo `name`, or None."""
    path = record_path(name, results_dir)
    return _read_json(path) if path.exists() else None


def _unknown_records(results_dir):
    results_dir = Path(results_dir)
    demos = {p.stem for p in results_dir.glob("*.json")} - set(TABLE)
    benchmarks = {p.stem for p in (results_dir / "benchmarks").glob("*.json")}
    return sorted(demos), sorted(benchmarks - set(BENCHMARKS))


def _fill(template, where, **fields):
    try:
        return string.Formatter().vformat(template, (), fields)
    except (KeyError, IndexError) as error:
        raise ResultsError(
            f"{where}: the template {template!r} needs {error.args[0]!r}, which "
            "the record lacks; rerun with the current code, or change the "
            "template in applications/results.py"
        ) from error
    except (ValueError, TypeError) as error:
        raise ResultsError(
            f"{where}: the template {template!r} cannot format the record's "
            f"values: {error}"
        ) from error


def _cell(text):
    # A `|` ends a Markdown table cell, even inside backticks.
    return str(text).replace("\n", " ").replace("|", "\\|")


def _duration(seconds):
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _commit(record):
    commit = (record.get("git_commit") or "unknown commit")[:7]
    return f"`{commit}`" + (" (uncommitted changes)" if record.get("git_dirty") else "")


def _load(record):
    if record.get("load_mean") is None:
        return "load unknown"
    cores = (record.get("machine") or {}).get("cores")
    text = f"load {record['load_mean']:g} (max {record['load_max']:g})"
    return text + (f" on {cores} cores" if cores else "")


def provenance_text(record, link):
    """`[file](link) · commit · date · wall time · load`, for a record."""
    return " · ".join(
        [
            f"[{Path(link).name}]({link})",
            _commit(record),
            str(record.get("finished_at", "undated"))[:10],
            _duration(record.get("seconds", 0.0)),
            _load(record),
        ]
    )


def render_rows(name, record, where=None):
    """`[(metric, ours, reference)]`: demo `name`'s rows filled from `record`.

    `ours` is "no recorded run yet" when `record` is None, and carries the
    record's note (e.g. "reduced run: ...") when it has one.
    """
    where = where or f"results/{name}.json"
    rows = []
    for row in TABLE[name]:
        if record is None:
            ours = NO_RECORD
        else:
            extra = {"minutes": record.get("seconds", 0.0) / 60.0}
            ours = _fill(
                row.ours,
                where,
                m=record.get("metrics", {}),
                c=record.get("config", {}),
                r={**record, **extra},
            )
            if record.get("note"):
                ours += f" ({record['note']})"
        rows.append((row.metric, ours, row.reference))
    return rows


def render_table(results_dir=RESULTS_DIR, link_base="results"):
    """The README's Results table (Markdown) from `results_dir/*.json`."""
    unknown, _ = _unknown_records(results_dir)
    if unknown:
        raise ResultsError(
            f"{results_dir} holds records of no demo in the table: {unknown}; "
            f"the table has {list(TABLE)}"
        )
    lines = [
        "| application | metric | ours | published reference | run record |",
        "|---|---|---|---|---|",
    ]
    for name in TABLE:
        record = load_record(name, results_dir)
        record_cell = "-"
        if record is not None:
            record_cell = provenance_text(record, f"{link_base}/{name}.json")
        for metric, ours, reference in render_rows(name, record):
            cells = [f"`{name}`", metric, ours, reference, record_cell]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _median(values):
    return statistics.median(values) if values else math.nan


def _ratio(a, b):
    return a / b if b else math.nan


def benchmark_fields(record):
    """The names a `Sentence.template` can use, computed from a record.

    Every ratio is ours / reference, here and only here.
    """
    reps = record.get("repetitions", {})
    ours_runs, ref_runs = reps.get("ours", {}), reps.get("reference", {})
    ours = {k: _median(v) for k, v in ours_runs.items()}
    ref = {k: _median(v) for k, v in ref_runs.items()}
    common = [k for k in ours if k in ref]
    paired_runs = {
        k: [_ratio(a, b) for a, b in zip(ours_runs[k], ref_runs[k], strict=True)]
        for k in common
        if len(ours_runs[k]) == len(ref_runs[k])
    }
    lengths = {len(v) for v in [*ours_runs.values(), *ref_runs.values()]}
    return {
        "ours": ours,
        "ref": ref,
        "ratio": {k: _ratio(ours[k], ref[k]) for k in common},
        "diff": {k: ours[k] - ref[k] for k in common},
        "paired": {k: _median(v) for k, v in paired_runs.items()},
        "low": {k: min(v) for k, v in paired_runs.items() if v},
        "high": {k: max(v) for k, v in paired_runs.items() if v},
        "n": max(lengths) if lengths else 0,
        "d": record.get("details", {}),
        "r": record,
    }


def render_benchmark(name, record, link=None):
    """Benchmark `name`'s README sentence, from `record` (or None)."""
    sentence = BENCHMARKS[name]
    head = f"`benchmarks/{name}.py`, {sentence.what}:"
    if record is None:
        return f"{head} {NO_RECORD}."
    where = f"results/benchmarks/{name}.json"
    text = _fill(sentence.template, where, **benchmark_fields(record))
    link = link or where
    return (
        f"{head} {text}. Command `{record.get('command', '?')}`; record "
        f"{provenance_text(record, link)}."
    )


def render_benchmarks(results_dir=RESULTS_DIR, link_base="results"):
    """The README's benchmark sentences, one list item per benchmark."""
    _, unknown = _unknown_records(results_dir)
    if unknown:
        raise ResultsError(
            f"{Path(results_dir) / 'benchmarks'} holds records of no known "
            f"benchmark: {unknown}; known: {list(BENCHMARKS)}"
        )
    items = []
    for name in BENCHMARKS:
        path = benchmark_path(name, results_dir)
        record = _read_json(path) if path.exists() else None
        link = f"{link_base}/benchmarks/{name}.json"
        items.append("- " + render_benchmark(name, record, link))
    return "\n".join(items) + "\n"


def _replace_between(text, begin, end, body, readme):
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise ResultsError(
            f"{readme} must hold the markers {begin} and {end} (in that order) "
            "around the part this command renders"
        )
    return text[: start + len(begin)] + "\n" + body + text[stop:]


def rendered_readme(readme=README, results_dir=RESULTS_DIR):
    """`(current, rendered)` text of `readme`, the rendered tables put in."""
    readme = Path(readme)
    current = readme.read_text()
    link_base = os.path.relpath(Path(results_dir), readme.parent)
    text = _replace_between(
        current, BEGIN, END, render_table(results_dir, link_base), readme
    )
    text = _replace_between(
        text,
        BENCHMARKS_BEGIN,
        BENCHMARKS_END,
        render_benchmarks(results_dir, link_base),
        readme,
    )
    return current, text


def readme_diff(readme=README, results_dir=RESULTS_DIR):
    """A unified diff from the README to its rendering; empty when they agree."""
    current, rendered = rendered_readme(readme, results_dir)
    return "".join(
        difflib.unified_diff(
            current.splitlines(True),
            rendered.splitlines(True),
            f"{readme} (committed)",
            f"{readme} (rendered from {results_dir})",
        )
    )


# --- adding a demo's record -----------------------------------------------


def _atomic_write(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    os.replace(temporary, path)
    return path


def changed_from_defaults(record):
    """`{field: [default, used]}` for the config fields a run changed.

    Where the output goes (`output_dir`, `export_dir`, `data_dir`) and how
    much it prints (`verbose`) are not compared: they change no figure.
    """
    from applications import runner
    from applications.run_folders import NOT_COMPARED

    def jsonable(value):
        return json.loads(json.dumps(value, default=str))

    defaults = jsonable(dataclasses.asdict(runner.make_config(record["name"])))
    used = jsonable(record.get("config", {}))
    ignore = (*NOT_COMPARED, "data_dir")
    keys = sorted((set(defaults) | set(used)) - set(ignore))
    return {
        k: [defaults.get(k), used.get(k)]
        for k in keys
        if defaults.get(k) != used.get(k)
    }


def add(run_dir, note=None, results_dir=RESULTS_DIR):
    """Copies a finished full run's record into `results_dir/NAME.json`.

    Args:
        run_dir: the run's folder (`runs/NAME/latest` or `runs/NAME/<run id>`),
            holding the `metrics.json` the runner wrote.
        note: what a reader must know about the run, e.g. "reduced run: 2
            epochs"; required when its config differs from the defaults.
        results_dir: where the records go.

    Returns:
        The path written.

    Raises:
        ResultsError: the run is unfinished, failed, quick, of no demo in the
            table, changed from the defaults without a note, or lacks a
            metric its rows need.
    """
    run_dir = Path(run_dir)
    source = run_dir / "metrics.json"
    if not source.is_file():
        raise ResultsError(
            f"`run_dir` must be a finished run's folder holding metrics.json "
            f"(e.g. runs/NAME/latest), got {str(run_dir)!r}"
        )
    resolved = run_dir.resolve()
    if resolved.name.startswith(".partial"):
        raise ResultsError(
            f"{run_dir} is a run in progress (or interrupted): finish it first"
        )
    record = _read_json(source)
    name = record.get("name")
    if name not in TABLE:
        raise ResultsError(
            f"{source}: `name` must be a demo of the Results table ({list(TABLE)}), "
            f"got {name!r}"
        )
    if record.get("quick"):
        raise ResultsError(
            f"{run_dir} is a quick run (--quick): the README quotes full runs "
            f"only; run `python -m applications run {name}` and record that"
        )
    if record.get("status") != "succeeded" or resolved.name.startswith("failed-"):
        raise ResultsError(
            f"{run_dir} is a failed run (status {record.get('status')!r}: its "
            "learning guards or exports failed); only a successful run can be "
            "recorded"
        )
    changed = changed_from_defaults(record)
    if changed and not note:
        listed = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in changed.items())
        raise ResultsError(
            f"{run_dir} was run with a config changed from the defaults ({listed}); "
            "its figures must say so: add --note, e.g. --note 'reduced run: ...'"
        )
    kept = {**record, "note": note or "", "changed_from_defaults": changed}
    kept["recorded_from"] = str(resolved)
    kept["recorded_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    render_rows(name, kept, where=str(source))  # every row's figures are there
    return _atomic_write(record_path(name, results_dir), kept)


# --- benchmarks -----------------------------------------------------------


class BenchmarkRun:
    """Times a benchmark and samples the machine's load; writes its record.

    Example:

    ```python
    with BenchmarkRun("ppca_fit", argv) as run:
        ...  # measure
    if args.record:
        run.write(ours="...", reference="...", repetitions=..., details=...)
    ```

    Args:
        name: the script's name (`benchmarks/NAME.py`), a key of `BENCHMARKS`.
        argv: the script's command-line arguments, for the record's command.
    """

    def __init__(self, name, argv):
        if name not in BENCHMARKS:
            raise ValueError(f"`name` must be one of {list(BENCHMARKS)}, got {name!r}.")
        self.name = name
        self.command = shlex.join(["python", f"benchmarks/{name}.py", *argv])
        self._load = LoadSampler()
        self.started_at = self.finished_at = None
        self.seconds = None

    def __enter__(self):
        self.started_at = datetime.now(timezone.utc)
        self._start = time.perf_counter()
        self._load.__enter__()
        return self

    def __exit__(self, *exc):
        self._load.__exit__(*exc)
        self.seconds = time.perf_counter() - self._start
        self.finished_at = datetime.now(timezone.utc)
        return False

    def record(self, ours, reference, repetitions, details=None):
        """The record: provenance, and the figures of each repetition.

        Args:
            ours: what was measured for this package (a name).
            reference: what it was compared with (a name).
            repetitions: `{"ours": {figure: [value per repetition]},
                "reference": {figure: [...]}}`, the same repetitions in the
                same order on both sides (each pair measured together).
            details: anything else the script measured (JSON-serialisable).
        """
        if set(repetitions) != {"ours", "reference"}:
            raise ValueError(
                "`repetitions` must have the keys 'ours' and 'reference', got "
                f"{sorted(repetitions)}."
            )
        if self.seconds is None:
            raise RuntimeError("BenchmarkRun.record: the `with` block has not ended")
        return {
            "name": self.name,
            "command": self.command,
            "ours": ours,
            "reference": reference,
            "repetitions": repetitions,
            "details": details or {},
            "seconds": self.seconds,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": self.finished_at.isoformat(timespec="seconds"),
            **self._load.summary(),
            **provenance(),
        }

    def write(self, results_dir=RESULTS_DIR, **figures):
        """Writes `results_dir/benchmarks/NAME.json` (see `record` for
        `figures`) and returns its path."""
        record = self.record(**figures)
        render_benchmark(self.name, record)  # every figure the sentence needs
        path = _atomic_write(benchmark_path(self.name, results_dir), record)
        print(f"[{self.name}] recorded {path}", flush=True)
        return path


# --- command line ---------------------------------------------------------


def _add_main(argv):
    parser = argparse.ArgumentParser(
        prog="python -m applications results add",
        description="Copies a finished, successful full run's record into "
        "results/NAME.json (then run `python -m applications results --write`).",
    )
    parser.add_argument("run_dir", help="the run's folder, e.g. runs/NAME/latest")
    parser.add_argument(
        "--note",
        default="",
        help="shown beside the run's figures, e.g. 'reduced run: 2 epochs'; "
        "required when the config differs from the defaults",
    )
    parser.add_argument("--results_dir", default=str(RESULTS_DIR))
    args = parser.parse_args(argv)
    path = add(args.run_dir, note=args.note, results_dir=args.results_dir)
    print(f"recorded {path}; now run `python -m applications results --write`")
    return path


def main(argv=None):
    """`python -m applications results [add RUN_DIR [--note TEXT] | --write |
    --check]`. Errors print one line and exit with code 1."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "add":
            return _add_main(argv[1:])
        parser = argparse.ArgumentParser(
            prog="python -m applications results",
            description="Renders the README's Results table and benchmark "
            "sentences from the records in results/ (`add RUN_DIR` records a run).",
        )
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--write", action="store_true", help="put the rendering into the README"
        )
        action.add_argument(
            "--check",
            action="store_true",
            help="exit 1 and print a diff when the README differs from it",
        )
        parser.add_argument("--readme", default=str(README))
        parser.add_argument("--results_dir", default=str(RESULTS_DIR))
        args = parser.parse_args(argv)
        if args.check:
            diff = readme_diff(args.readme, args.results_dir)
            if diff:
                sys.stdout.write(diff)
                raise SystemExit(
                    f"{args.readme} differs from the records in {args.results_dir}: "
                    "run `python -m applications results --write`"
                )
            print(f"{args.readme} agrees with the records in {args.results_dir}")
            return None
        if args.write:
            current, rendered = rendered_readme(args.readme, args.results_dir)
            if rendered != current:
                Path(args.readme).write_text(rendered)
            print(f"wrote {args.readme}" if rendered != current else "unchanged")
            return None
        link_base = os.path.relpath(args.results_dir, Path(args.readme).parent)
        print(render_table(args.results_dir, link_base))
        print(render_benchmarks(args.results_dir, link_base), end="")
        return None
    except ResultsError as error:
        raise SystemExit(f"error: {error}") from None
