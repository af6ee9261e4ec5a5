"""The character language model demo end to end: quick training of both bodies,
bits per character, samples, and `generate` SavedModels served without
kerastoolkit."""

import math

import keras
import numpy as np
import pytest

from applications.nlp.char_lm.train import unigram_bits_per_char, windows
from kerastoolkit.testing import serving_process


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("char_lm")


def test_quick_run_reports_bits_per_character(quick_run):
    root, record = quick_run
    metrics = record["metrics"]
    assert metrics["uniform_bits_per_char"] == math.log2(metrics["vocabulary_size"])
    for body in ("lstm", "wavenet"):
        assert metrics[f"{body}_steps"] == 150
    assert metrics["wavenet_receptive_field"] == 16
    run = root / "run"
    for name in ("report.md", "samples.md", "learning_curves.png", "lstm.keras"):
        assert (run / name).exists(), name
    samples = (run / "samples.md").read_text()
    assert samples.count("ROMEO:") == 1 + 2  # the title, then one per body
    assert "lstm_validation_bits_per_char" in (run / "report.md").read_text()


def test_both_bodies_beat_a_unigram_model_by_far(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    (guard,) = record["guards"]
    assert guard["metric"] == "highest_validation_bits_per_char"
    assert guard["passed"], guard["text"]
    for split in ("validation", "test"):
        unigram = metrics[f"unigram_{split}_bits_per_char"]
        # The unigram model already beats guessing uniformly by far.
        assert unigram < metrics["uniform_bits_per_char"] - 0.5
        for body in ("lstm", "wavenet"):
            bits = metrics[f"{body}_{split}_bits_per_char"]
            assert 1.0 < bits < unigram - 0.8, (body, split, bits)


def test_unigram_bits_per_char_is_the_cross_entropy_of_smoothed_counts():
    # Counts 3, 1, 0 over 3 classes: add-one gives 4/7, 2/7, 1/7.
    bits = unigram_bits_per_char(np.array([0, 0, 0, 1]), np.array([[0, 2]]), 3)
    assert bits == pytest.approx(-(math.log2(4 / 7) + math.log2(1 / 7)) / 2)


def test_generate_serves_text_without_kerastoolkit(quick_run):
    # Both bodies' signatures are checked in tests/models; here the trained
    # LSTM the demo exported, against its reloaded `.keras` file.
    root, record = quick_run
    body = "lstm"
    export_dir = record["metrics"][f"{body}_saved_model"]
    model = keras.saving.load_model(root / "run" / f"{body}.keras")
    (served,) = serving_process().serve(
        export_dir,
        {
            "prompt": np.asarray("KING:"),
            "length": np.int32(30),
            "temperature": np.float32(0.7),
            "seed": np.int32(11),
        },
        signature="generate",
    )
    text = served.item().decode("utf-8")
    assert len(text) == 30 and set(text) <= set(model.vocabulary)
    assert text == model.generate_text("KING:", 30, 0.7, seed=11)


def test_windows_shift_targets_by_one_character():
    ids = np.arange(11)
    inputs, targets = windows(ids, 5)
    np.testing.assert_array_equal(inputs, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])
    np.testing.assert_array_equal(targets, inputs + 1)
    with pytest.raises(ValueError, match="too few for one window"):
        windows(ids[:3], 5)
