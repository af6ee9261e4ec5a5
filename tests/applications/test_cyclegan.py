"""The CycleGAN demo end to end: a quick run measures content, style and cycle
error against the untranslated images, passes its learning guards, draws the
grids and exports `translate` SavedModels both ways; the ablation's variants
each change one remedy."""

import dataclasses

import keras
import numpy as np
import pytest

from applications.generative.cyclegan.config import ABLATIONS, Config
from applications.generative.cyclegan.train import (
    ABLATION_METRICS,
    ablation_config,
    ablation_table,
    build_cycle_gan,
    content_classifier,
    unpaired_batches,
    upsample_digits,
)
from kerastoolkit.testing import serving_process
from tests.applications.run_checks import finished_run


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("cyclegan")


def test_quick_run_measures_content_style_and_cycle(quick_run):
    _, metrics = finished_run(
        quick_run,
        (
            "report.md",
            "summary.md",
            "history.csv",
            "cycle_mnist_to_digits.png",
            "cycle_digits_to_mnist.png",
            "models/cycle_gan.keras",
        ),
    )
    for name in (
        "content_mnist_to_digits",
        "content_digits_to_mnist",
        "style_mnist_to_digits_classified_as_digits",
        "style_digits_to_mnist_classified_as_mnist",
        "baseline_mnist_read_by_digits_classifier",
    ):
        assert 0.0 <= metrics[name] <= 1.0, name
    # The two styles are easy to tell apart even for a one-epoch classifier.
    assert metrics["domain_classifier_test_accuracy"] > 0.8
    assert 0.0 < metrics["cycle_error_mnist"] < 1.0
    assert metrics["train_images_mnist"] == Config.quick().train_size
    assert metrics["test_images_mnist"] == 1000 and metrics["test_images_digits"] == 359


def test_quick_run_translates_the_style_and_keeps_the_digit(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    assert [g["metric"] for g in record["guards"]] == [
        "style_both_ways",
        "content_digits_to_mnist",
        "cycle_content_mnist",
        "cycle_content_digits",
    ]
    assert all(g["passed"] for g in record["guards"]), record["guards"]
    # Untranslated, the domain classifier keeps each domain where it is;
    # translated, most images cross over both ways, and the digit is read.
    assert metrics["baseline_style_both_ways"] < 0.1
    assert metrics["style_both_ways"] == min(
        metrics["style_mnist_to_digits_classified_as_digits"],
        metrics["style_digits_to_mnist_classified_as_mnist"],
    )
    assert metrics["style_both_ways"] > metrics["baseline_style_both_ways"] + 0.3
    assert metrics["content_digits_to_mnist"] > metrics["chance_accuracy"] + 0.08
    assert min(metrics["cycle_content_mnist"], metrics["cycle_content_digits"]) > 0.6


def test_each_ablation_changes_one_remedy():
    config = Config.quick()
    changed = {}
    for variant in ABLATIONS:
        variant_config = ablation_config(config, variant)
        changed[variant] = {
            field
            for field in vars(config)
            if getattr(config, field) != getattr(variant_config, field)
        }
    assert changed == {
        "no_identity": {"lambda_identity"},
        "identity_x5": {"lambda_identity"},
        "no_cycle_noise": {"cycle_noise"},
        "small_generators": {"generator_filters"}
        | ({"residual_blocks"} if config.residual_blocks != 1 else set()),
        "semantic": {"lambda_content"},
    }
    assert ablation_config(config, "semantic").lambda_content == 1.0
    assert ablation_config(config, "identity_x5").lambda_identity == pytest.approx(
        5 * config.lambda_identity
    )
    assert ablation_config(config, "no_identity").lambda_identity == 0.0
    values = dict.fromkeys(ABLATION_METRICS, 0.5)
    table = ablation_table(
        {"as configured": values, "no_identity": values},
        {
            "baseline_mnist_read_by_digits_classifier": 0.2,
            "baseline_digits_read_by_mnist_classifier": 0.3,
        },
    )
    lines = table.strip().splitlines()
    assert len(lines) == 5 and lines[2].startswith("| untranslated (baseline) | 0.200")
    assert lines[4] == "| no_identity | " + " | ".join(["0.500"] * 6) + " |"
    with pytest.raises(ValueError, match="ablation"):
        Config(ablation=("bigger_generators",))


def test_semantic_term_uses_a_frozen_classifier_of_both_domains():
    # The supervised remedy: a classifier of both domains' digits, trained
    # with their labels, held fixed inside the CycleGAN's loss.
    rng = np.random.default_rng(0)
    data = {
        "x_train": rng.uniform(size=(32, 28, 28, 1)).astype("float32"),
        "x_train_labels": np.arange(32) % 10,
        "y_train": rng.uniform(size=(16, 28, 28, 1)).astype("float32"),
        "y_train_labels": np.arange(16) % 10,
    }
    config = Config.quick()
    content = content_classifier(data, dataclasses.replace(config, classifier_epochs=1))
    probabilities = np.asarray(content(data["y_train"][:4]))
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)
    assert build_cycle_gan(config, content).content_model is None
    cycle = build_cycle_gan(ablation_config(config, "semantic"), content)
    assert cycle.content_model is content and not content.trainable
    assert cycle.lambda_content == 1.0


def test_translate_saved_models_serve_both_directions(quick_run):
    root, record = quick_run
    cycle = keras.saving.load_model(root / "run" / "models" / "cycle_gan.keras")
    images = np.random.default_rng(0).uniform(size=(3, 28, 28, 1)).astype("float32")
    server = serving_process()
    for name, generator in (
        ("mnist_to_digits", cycle.generator_g),
        ("digits_to_mnist", cycle.generator_f),
    ):
        path = record["metrics"][f"saved_model_{name}"]
        (translated,) = server.serve(path, [images], signature="translate")
        assert translated.shape == images.shape
        np.testing.assert_allclose(
            translated, generator(images, training=False), atol=1e-5
        )


def test_upsampled_digits_keep_range_and_constant_blocks():
    images = np.zeros((2, 8, 8), "uint8")
    images[0] = 16
    images[1, :, 4:] = 8
    up = upsample_digits(images)
    assert up.shape == (2, 28, 28, 1) and up.dtype == np.float32
    np.testing.assert_allclose(up[0], 1.0)
    assert up[1, :, :10].max() == 0.0 and up[1, :, 18:].min() == pytest.approx(0.5)


def test_unpaired_batches_draw_each_domain_on_its_own():
    x = np.zeros((10, 2), "float32")
    y = np.ones((3, 2), "float32")
    batches = iter(unpaired_batches(x, y, batch_size=4, seed=0))
    for _ in range(3):
        bx, by = next(batches)
        assert bx.shape == (4, 2) and by.shape == (4, 2)
        assert float(np.max(bx)) == 0.0 and float(np.min(by)) == 1.0
