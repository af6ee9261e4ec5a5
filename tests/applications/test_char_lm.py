"""The character language model demo end to end: quick training of both bodies,
bits per character, samples, and `generate` SavedModels served without
kerastoolkit."""

import math

import keras
import numpy as np
import pytest

from applications.nlp.char_lm.train import windows
from kerastoolkit.testing import serving_process


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("char_lm")


def test_quick_run_reports_bits_per_character(quick_run):
    root, record = quick_run
    metrics = record["metrics"]
    uniform = math.log2(metrics["vocabulary_size"] + 1)
    for body in ("lstm", "wavenet"):
        for split in ("validation", "test"):
            bits = metrics[f"{body}_{split}_bits_per_char"]
            # 20 steps already beat guessing uniformly among the characters.
            assert 2.0 < bits < uniform - 0.5, (body, split, bits)
        assert metrics[f"{body}_steps"] == 20
    assert metrics["wavenet_receptive_field"] == 8
    run = root / "run"
    for name in ("report.md", "samples.md", "learning_curves.png", "lstm.keras"):
        assert (run / name).exists(), name
    samples = (run / "samples.md").read_text()
    assert samples.count("ROMEO:") == 1 + 2  # the title, then one per body
    assert "lstm_validation_bits_per_char" in (run / "report.md").read_text()


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
