"""The semi-supervised demo: one quick run (PPCA of unlabelled Fashion-MNIST,
then 10 labels per class) whose linear probe beats an untrained encoder's by
the guard's margin, a guard that fails when pretraining learns nothing, and
each representation's encoder."""

import dataclasses
import json

import numpy as np
import pytest

from applications.vision.semi_supervised.config import Config
from applications.vision.semi_supervised.train import (
    GUARDS,
    load_data,
    pretrain,
    train_and_evaluate,
)
from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.models import ProbabilisticPCA
from kerastoolkit.testing import serving_process
from tests.applications.run_checks import failed_guard_run


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("semi_supervised")


def test_quick_run_probe_on_pretrained_features_is_far_above_chance(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    (guard,) = record["guards"]
    assert guard["metric"] == "low_budget_pretrained_probe_accuracy"
    assert guard["baseline"] == "chance_accuracy" and guard["passed"], guard["text"]
    assert metrics["chance_accuracy"] == pytest.approx(0.1)
    assert (
        metrics["fashion_ppca_probe_accuracy_10"]
        > metrics["chance_accuracy"] + GUARDS[0].margin
    )
    # The comparisons are measured in the same run, with their intervals;
    # which wins is what the full run reports.
    for method in ("ppca_finetuned", "random_probe", "scratch"):
        assert metrics[f"fashion_{method}_accuracy_10"] > 0.4
    assert "fashion_ppca_finetuned_gain_low_10" in metrics
    assert "fashion_random_probe_gain_low_10" in metrics


def test_quick_run_writes_the_table_plot_and_runs(quick_run):
    root, _ = quick_run
    table = (root / "run" / "semi_supervised_table.md").read_text()
    assert "PPCA, fine-tuned - from scratch" in table and "| 10 |" in table
    for name in ("accuracy_vs_labels.png", "report.md"):
        assert (root / "run" / name).exists(), name
    runs = json.loads((root / "run" / "runs.json").read_text())
    # 3 seeds x (probe, fine-tuned, untrained probe, scratch)
    assert len(runs) == 12


def test_saved_model_classifies_raw_fashion_images(quick_run):
    _, record = quick_run
    _, (x_test, _) = fashion_mnist.load_data()
    names, probabilities = serving_process().serve(
        record["metrics"]["saved_model"], {"images": x_test[:3]}
    )
    assert probabilities.shape == (3, 10)
    assert [n.decode() for n in names] == [
        fashion_mnist.CLASS_NAMES[i] for i in probabilities.argmax(axis=1)
    ]


def test_guard_fails_when_the_probe_learns_nothing(tmp_path):
    # The probe's learning rate at 0: it keeps its random head.
    failed_guard_run(
        "semi_supervised",
        tmp_path,
        {
            "head_learning_rate": 0.0,
            "unlabelled_size": 1024,
            "fine_tune_steps": 0,
            "seeds": (0,),
        },
        match="low_budget_pretrained_probe",
    )


TINY = dataclasses.replace(
    Config.quick(),
    unlabelled_size=64,
    test_size=100,
    latent_dim=4,
    filters=(4,),
    pretrain_epochs=2,
    simclr_epochs=6,
    simclr_batch_size=32,
)


@pytest.fixture(scope="module")
def tiny_data():
    return load_data(TINY)


def test_splits_are_disjoint_and_sized(tiny_data):
    assert tiny_data["unlabelled"].shape == (64, 28, 28, 1)
    assert 0.0 <= tiny_data["unlabelled"].min() <= tiny_data["unlabelled"].max() <= 1
    x_val, y_val = tiny_data["validation"]
    assert np.bincount(y_val).tolist() == [100] * 10
    assert len(tiny_data["pool"][1]) == 60000 - 1000
    assert len(tiny_data["test"][1]) == 100


@pytest.mark.parametrize("representation", ["ppca", "autoencoder", "vae", "simclr"])
def test_each_representation_gives_an_encoder_of_images(tiny_data, representation):
    images = tiny_data["unlabelled"]
    encoder, history, snapshots = pretrain(representation, images, TINY)
    assert snapshots == {}
    features = np.asarray(encoder(images[:5]))
    width = 2 * TINY.latent_dim if representation == "vae" else TINY.latent_dim
    assert features.shape == (5, width) and np.isfinite(features).all()
    if representation == "ppca":
        # The Dense layer holds PPCA's posterior mean exactly.
        assert history is None
        ppca = ProbabilisticPCA(TINY.latent_dim)
        ppca.fit_closed_form(images.reshape(64, -1).astype("float64"))
        expected = np.asarray(ppca.transform(images[:5].reshape(5, -1)))
        np.testing.assert_allclose(features, expected, rtol=1e-3, atol=1e-3)
    else:
        # Pretraining lowers its own objective from the first epoch's value.
        assert np.isfinite(history["loss"]).all()
        assert history["loss"][-1] < history["loss"][0]


def test_simclr_snapshots_give_the_gain_against_pretraining_epochs(tiny_data, tmp_path):
    config = dataclasses.replace(
        TINY, representations=("simclr",), simclr_epochs=3, simclr_snapshots=(1, 2)
    )
    encoder, history, snapshots = pretrain("simclr", tiny_data["unlabelled"], config)
    assert sorted(snapshots) == [1, 2] and len(history["loss"]) == 3
    # Copies taken along the way: training went on without them.
    final = encoder.get_weights()
    for snapshot in snapshots.values():
        assert snapshot is not encoder
        assert any(
            not np.array_equal(a, b)
            for a, b in zip(snapshot.get_weights(), final, strict=True)
        )
    run = dataclasses.replace(
        config,
        simclr_epochs=2,
        simclr_snapshots=(1,),
        labels_per_class=(2,),
        seeds=(0, 1),
        head_steps=2,
        fine_tune_steps=2,
        output_dir=str(tmp_path / "run"),
        export_dir=str(tmp_path / "export"),
    )
    metrics = train_and_evaluate(run)
    for kind in ("finetuned", "probe"):
        for method in ("simclr", "simclr_at_1"):
            assert f"fashion_{method}_{kind}_gain_low_2" in metrics
    table = (tmp_path / "run" / "gain_vs_pretraining.md").read_text().splitlines()
    assert "| pretraining epochs | 2 labels per class |" in table
    assert "### SimCLR, fine-tuned" in table and "### SimCLR, linear probe" in table
    rows = [line.split(" |")[0] for line in table if line.startswith("| 1 ")]
    assert len(rows) == 2  # epoch 1 in both tables, epoch 2 below it
    assert sum(line.startswith("| 2 ") for line in table) == 2
    assert (tmp_path / "run" / "gain_vs_pretraining.png").stat().st_size > 1000
    labels = (tmp_path / "run" / "semi_supervised_table.md").read_text()
    assert "SimCLR after 1 of 2 epochs, fine-tuned" in labels
