"""The translation demo end to end: a quick run translates far better than
copying the English source (its learning guard), scores both models with both
decoders, writes the examples, and exports SavedModels that translate raw
English strings in a process without kerastoolkit or keras_hub."""

import json

import numpy as np
import pytest
import sacrebleu

from applications.nlp.translation.config import Config
from kerastoolkit.datasets import multi30k
from kerastoolkit.testing import serving_process


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("translation")


def test_quick_run_scores_both_models_and_decoders(quick_run):
    root, record = quick_run
    run = root / "run"
    metrics = json.loads((run / "metrics.json").read_text())["metrics"]
    assert metrics == record["metrics"]
    config = Config.quick()
    _, references = multi30k.load_data()["test"]
    references = references[: config.test_size]
    for model in ("transformer", "seq2seq"):
        for decoder, column in (("greedy", "greedy"), ("beam2", "beam2")):
            bleu = metrics[f"{model}_{decoder}_test2016_bleu"]
            assert 0.0 <= bleu <= 100.0
            label = "Transformer" if model == "transformer" else "attention_LSTM"
            hypotheses = (
                (run / f"test2016_{label}_{column}.de").read_text().split("\n")[:-1]
            )
            assert len(hypotheses) == config.test_size
            # The stored score is sacreBLEU on the written detokenised output.
            score = sacrebleu.corpus_bleu(hypotheses, [references]).score
            assert bleu == pytest.approx(score, abs=0.01)
        assert np.isfinite(metrics[f"{model}_val_loss"])
        # Training length is set in epochs, never by a clock.
        assert metrics[f"{model}_stopped_by_time_budget"] == 0.0
    assert metrics["transformer_epochs"] == config.epochs
    assert metrics["seq2seq_epochs"] == config.seq2seq_epochs
    assert metrics["sacrebleu_signature"].startswith(
        "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp"
    )
    for name in ("report.md", "translations.md", "learning_curves.png"):
        assert (run / name).exists(), name
    table = (run / "translations.md").read_text()
    assert "| Transformer beam2 |" in table.splitlines()[2]
    assert len(table.splitlines()) == 4 + config.num_examples


def test_quick_run_translates_far_better_than_copying_the_source(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    config = Config.quick()
    english, german = multi30k.load_data()["test"]
    # The baseline: the English source as the translation, same sentences.
    copied = sacrebleu.corpus_bleu(
        english[: config.test_size], [german[: config.test_size]]
    ).score
    assert metrics["copy_source_test2016_bleu"] == pytest.approx(copied, abs=0.01)
    assert metrics["copy_source_test2016_bleu"] < 1.0
    assert metrics["best_greedy_test2016_bleu"] == max(
        metrics["transformer_greedy_test2016_bleu"],
        metrics["seq2seq_greedy_test2016_bleu"],
    )
    (guard,) = record["guards"]
    assert guard["metric"] == "best_greedy_test2016_bleu"
    assert guard["baseline"] == "copy_source_test2016_bleu"
    assert guard["passed"], guard
    assert guard["threshold"] == pytest.approx(copied + 4.0, abs=0.01)
    # The Transformer itself learned (an untrained one scores about 0.03).
    assert metrics["transformer_greedy_test2016_bleu"] > guard["threshold"]


def test_saved_models_translate_raw_strings_without_kerastoolkit(quick_run):
    root, record = quick_run
    english, _ = multi30k.load_data()["test"]
    sentences = np.array(english[:3] + ["a man ."])
    for model, label in (("transformer", "Transformer"), ("seq2seq", "attention_LSTM")):
        export_dir = record["metrics"][f"{model}_saved_model"]
        (served,) = serving_process().serve(
            export_dir, {"english": sentences}, imports=("tensorflow_text",)
        )
        served = [text.decode("utf-8") for text in served]
        assert len(served) == 4
        # The graph decodes with beam search: the run's beam output.
        written = (root / "run" / f"test2016_{label}_beam2.de").read_text()
        assert served[:3] == written.split("\n")[:3]
