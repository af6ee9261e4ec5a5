"""The word2vec demo end to end: quick run, vectors gensim can read, report, plot,
projector folder, and a SavedModel served without kerastoolkit."""

import dataclasses
import json

import keras
import numpy as np
import pytest
from gensim.models import KeyedVectors

from applications.nlp.word2vec.config import Config
from applications.nlp.word2vec.train import (
    evaluate,
    load_benchmarks,
    load_corpus,
    random_vectors_baseline,
    tokenize,
    train_keras,
)
from kerastoolkit.testing import serving_process


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("word2vec")


def test_tokenize_lower_cases_and_keeps_inner_apostrophes():
    assert tokenize("The KING's dog, 2 cats -- 'tis") == [
        "the",
        "king's",
        "dog",
        "2",
        "cats",
        "tis",
    ]
    sentences = load_corpus(max_sentences=5)
    assert len(sentences) == 5 and all(
        s and s == [w.lower() for w in s] for s in sentences
    )


def test_quick_run_reports_both_models_and_writes_its_files(quick_run):
    root, record = quick_run
    metrics = record["metrics"]
    assert metrics["sentences"] == len(load_corpus())
    # Same corpus and min_count: the same vocabulary, so the same OOV ratios.
    assert metrics["vocabulary_size"] == metrics["gensim_vocabulary_size"]
    assert metrics["wordsim353_oov_ratio"] == metrics["gensim_wordsim353_oov_ratio"]
    for name in ("words_per_second", "words_per_cpu_second"):
        assert metrics[name] > 0 and metrics[f"gensim_{name}"] > 0
    run = root / "run"
    for name in (
        "report.md",
        "metrics.json",
        "projection.png",
        "neighbours.txt",
        "history.csv",
        "projector/vectors.tsv",
        "projector/metadata.tsv",
        "projector/projector_config.pbtxt",
    ):
        assert (run / name).exists(), name
    assert "gensim_wordsim353_spearman" in (run / "report.md").read_text()
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["metrics"] == metrics
    assert "ours:" in (run / "neighbours.txt").read_text()


def test_vectors_beat_random_ones_and_come_near_gensims(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    assert [(g["metric"], g["passed"]) for g in record["guards"]] == [
        ("wordsim353_spearman", True),
        ("analogy_accuracy", True),
        ("wordsim353_spearman_minus_gensim", True),
    ], [g["text"] for g in record["guards"]]
    # Random vectors score about nothing: a Spearman near 0, no analogy.
    assert abs(metrics["random_wordsim353_spearman"]) < 0.1
    assert metrics["random_analogy_accuracy"] < 0.002
    for name in ("wordsim353_spearman", "analogy_accuracy"):
        assert metrics[name] > metrics[f"random_{name}"] + 0.015
        assert metrics[f"gensim_{name}"] > metrics[f"random_{name}"] + 0.015
    assert abs(metrics["wordsim353_spearman_minus_gensim"]) < 0.1


def test_random_vectors_baseline_is_the_mean_of_seeded_draws():
    words = ["king", "queen", "man", "woman", "dog", "cat", "water", "love"]
    first = random_vectors_baseline(words, 8, seed=3, draws=3)
    assert first == random_vectors_baseline(words, 8, seed=3, draws=3)
    rng = np.random.default_rng(3)
    benchmarks = load_benchmarks()
    draws = [evaluate(words, rng.standard_normal((8, 8)), benchmarks) for _ in range(3)]
    assert first["random_wordsim353_spearman"] == pytest.approx(
        np.mean([d["wordsim353_spearman"] for d in draws])
    )


def test_vectors_txt_loads_in_gensim(quick_run):
    root, record = quick_run
    keyed = KeyedVectors.load_word2vec_format(record["metrics"]["vectors"])
    assert len(keyed) == record["metrics"]["vocabulary_size"]
    assert keyed.vector_size == 50
    assert keyed.index_to_key[0] == "a"  # the most frequent word of the captions


def test_saved_model_serves_the_trained_logits_without_kerastoolkit(quick_run):
    root, record = quick_run
    inputs = {
        "words": np.array([1, 2], "int32"),
        "targets": np.array([[3, 4], [5, 6]], "int32"),
    }
    (logits,) = serving_process().serve(record["metrics"]["saved_model"], inputs)
    # The quick run has one epoch, so its best checkpoint is the final model.
    model = keras.saving.load_model(root / "run" / "checkpoints" / "best.keras")
    expected = keras.ops.convert_to_numpy(model(inputs))
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)
    keyed = KeyedVectors.load_word2vec_format(record["metrics"]["vectors"])
    np.testing.assert_allclose(keyed.vectors, model.word_vectors(), rtol=1e-6)


def test_divergence_is_reported_not_written(tmp_path):
    config = dataclasses.replace(
        Config.quick(), learning_rate=1e20, output_dir=str(tmp_path)
    )
    with pytest.raises(FloatingPointError, match="lower `pairs_per_update`"):
        train_keras(load_corpus(max_sentences=300), config)
