"""Train a DCGAN, a conditional DCGAN and a VAE on Fashion-MNIST; score them all
by the Fréchet distance in a Fashion-MNIST classifier's feature space.

The Fréchet distance here is NOT Inception FID: it uses the penultimate layer
of a Fashion-MNIST classifier (the vision demo's, or one trained here), so its
values compare the models of this run with each other (and with the distance
between real training and test images, the floor), not with published FIDs.
"""

import contextlib
import time
from pathlib import Path

import keras
import matplotlib
import numpy as np

from applications.image_plots import plot_sample_grids
from applications.learning_guards import Guard
from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.export import export_saved_model
from kerastoolkit.models.cnn_builders import plain_cnn
from kerastoolkit.models.dcgan_builders import dcgan_discriminator, dcgan_generator
from kerastoolkit.models.frechet_distance import FeatureFrechetDistance, class_coverage
from kerastoolkit.models.gan import GAN
from kerastoolkit.models.image_autoencoder_builders import image_vae
from kerastoolkit.models.image_classifier import ImageClassifier
from kerastoolkit.training.distribution import make_strategy

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# No published figure uses this metric (a classifier-feature Fréchet distance,
# not Inception FID); the models trained side by side are the reference.
# The metric the demo suite's index shows for this demo.
HEADLINE = "fd_dcgan"

PUBLISHED = {}

# Learning shows as samples far closer to the real images than the untrained
# generator's (same noise, same classifier), and conditional samples read as
# the class asked for far more often than chance. Quick config, seeds 0-4
# (Fréchet distance as a fraction of the untrained generator's; label
# accuracy, chance 0.1), with the projection discriminator, spectral
# normalisation and the generator's moving average (momentum 0.95):
#   DCGAN FD / untrained FD:        0.188 0.139 0.117 0.118 0.112 (max 0.188)
#   conditional FD / untrained FD:  0.117 0.089 0.091 0.070 0.078 (max 0.117)
#   conditional label accuracy:     0.650 0.546 0.758 0.696 0.614 (min 0.546)
# (Before them, label-map conditioning and no stabilisers: label accuracy
# 0.398 0.484 0.638 0.610 0.554, FD ratios at most 0.140 and 0.145.)
# With learning_rate=0 the ratios are about 1 and the accuracy 0.100.
# Guards: FD below 0.4 x untrained (margin 0.6, relative; ~2x the worst seed);
# label accuracy above chance + 0.3 = 0.4 (0.15 under the worst seed).
# Quick run: 2-4.5 min at load 12-15 on the 2 shared cores (~30 s idle).
GUARDS = (
    Guard("fd_dcgan", below="fd_dcgan_untrained", margin=0.6, relative=True),
    Guard(
        "fd_conditional_dcgan",
        below="fd_conditional_dcgan_untrained",
        margin=0.6,
        relative=True,
    ),
    Guard("conditional_label_accuracy", above="chance_accuracy", margin=0.3),
)

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = len(fashion_mnist.CLASS_NAMES)
_GRID = 64


def build_gan(config, num_classes=None):
    """The DCGAN (conditional when `num_classes` is given), not compiled."""
    generator = dcgan_generator(
        config.latent_dim,
        IMAGE_SHAPE,
        config.generator_filters,
        num_classes=num_classes,
        name="generator",
    )
    discriminator = dcgan_discriminator(
        IMAGE_SHAPE,
        config.discriminator_filters,
        num_classes=num_classes,
        dropout=config.discriminator_dropout,
        conditioning=config.conditioning,
        spectral_norm=config.spectral_norm,
        name="discriminator",
    )
    return GAN(
        generator,
        discriminator,
        num_classes=num_classes,
        loss=config.loss,
        seed=config.seed,
        name="conditional_dcgan" if num_classes else "dcgan",
    )


def compile_gan(gan, config):
    """Adam with beta_1 = 0.5 for both networks (Radford et al.).

    The discriminator's rate is `discriminator_learning_rate` when set (TTUR);
    with `generator_ema` the generator's optimizer keeps the moving average
    of its weights (`use_ema`), which `evaluated(gan)` swaps in.
    """
    ema = {"use_ema": True, "ema_momentum": config.generator_ema}
    gan.compile(
        generator_optimizer=keras.optimizers.Adam(
            config.learning_rate, beta_1=0.5, **(ema if config.generator_ema else {})
        ),
        discriminator_optimizer=keras.optimizers.Adam(
            config.discriminator_learning_rate or config.learning_rate, beta_1=0.5
        ),
    )


def evaluated(gan):
    """The context in which the generator is sampled, scored and exported: its
    weights' moving average when the generator optimizer keeps one."""
    if gan.generator_averaged:
        return gan.averaged_generator()
    return contextlib.nullcontext(gan.generator)


def load_or_train_classifier(config, x_train, y_train, x_test, y_test):
    """The feature classifier: loaded from `classifier_path`, or trained here.

    Returns:
        `(classifier, source, test_accuracy)`: an `ImageClassifier` of uint8
        images, where it came from, and its accuracy on the test images.
    """
    path = Path(config.classifier_path) if config.classifier_path else None
    if path is not None and path.is_file():
        classifier = keras.saving.load_model(path)
        source = str(path)
    else:
        classifier = ImageClassifier(
            plain_cnn(IMAGE_SHAPE, filters=(32, 64, 128), convs_per_block=1),
            NUM_CLASSES,
            image_shape=(28, 28),
            class_names=fashion_mnist.CLASS_NAMES,
            pooling="avg",
            name="feature_classifier",
        )
        classifier.compile(
            optimizer=keras.optimizers.Adam(2e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        classifier.fit(
            x_train,
            y_train,
            batch_size=config.classifier_batch_size,
            epochs=config.classifier_epochs,
            verbose=config.verbose,
        )
        source = f"trained here ({config.classifier_epochs} epochs)"
    accuracy = classifier.evaluate(x_test, y_test, batch_size=500, verbose=0)[1]
    return classifier, source, float(accuracy)


def _images(model, count, seed, num_classes=None):
    labels = None if num_classes is None else np.arange(count) % num_classes
    noise = keras.random.normal((count, model.latent_dim), seed=seed)
    inputs = noise if labels is None else [noise, keras.ops.convert_to_tensor(labels)]
    images = model.generator.predict(inputs, batch_size=500, verbose=0)
    return np.asarray(images)[..., 0], labels


class FrechetMonitor(keras.callbacks.Callback):
    """Per epoch: a sample grid PNG and the Fréchet distance of fresh samples.

    The grid always decodes the same noise (so the epochs' grids compare);
    the distance uses `samples` new images, with labels cycling through the
    classes for a conditional GAN. The distance is added to the epoch's logs
    as `frechet_distance` (so the CSV log gets it too), and for a
    conditional GAN the fraction of samples the classifier reads as the
    class asked for, as `label_accuracy`. Samples come from the weights'
    moving average when the GAN keeps one (`evaluated`).

    Args:
        metric: a `FeatureFrechetDistance`.
        directory: where `epoch_<n>.png` grids go.
        samples: generated images per evaluation.
        seed: seed of the evaluation noise.
    """

    def __init__(self, metric, directory, samples, seed):
        super().__init__()
        self.metric = metric
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.samples = samples
        self.seed = seed
        self.distances = []
        self.label_accuracies = []

    def on_epoch_end(self, epoch, logs=None):
        num_classes = self.model.num_classes
        with evaluated(self.model):
            grid, _ = _images(self.model, _GRID, self.seed, num_classes)
            images, labels = _images(
                self.model, self.samples, self.seed + 1, num_classes
            )
        plot_sample_grids(
            {f"{self.model.name}, epoch {epoch + 1}": grid},
            self.directory / f"epoch_{epoch + 1:03d}.png",
            columns=num_classes or 8,
        )
        distance = self.metric.distance(images)
        self.distances.append(distance)
        if logs is not None:
            logs["frechet_distance"] = distance
        if labels is not None:
            accuracy = float(np.mean(self.metric.predict_classes(images) == labels))
            self.label_accuracies.append(accuracy)
            if logs is not None:
                logs["label_accuracy"] = accuracy


def plot_distances(curves, reference_lines, path):
    """Fréchet distance per epoch for each model, with horizontal references."""
    fig, axis = plt.subplots(figsize=(6.5, 4.2))
    for label, values in curves.items():
        axis.plot(np.arange(1, len(values) + 1), values, "o-", label=label)
    styles = iter(["--", ":", "-."])
    for label, value in reference_lines.items():
        axis.axhline(value, linestyle=next(styles), color="gray", label=label)
    axis.set_xlabel("epoch")
    axis.set_ylabel("Fréchet distance (classifier features)")
    axis.set_yscale("log")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_class_histograms(histograms, path):
    """Bars of the predicted-class fractions of each image set."""
    names = fashion_mnist.CLASS_NAMES
    width = 0.8 / len(histograms)
    fig, axis = plt.subplots(figsize=(9, 4.2))
    for index, (label, fractions) in enumerate(histograms.items()):
        axis.bar(
            np.arange(len(names)) + index * width - 0.4 + width / 2,
            fractions,
            width,
            label=label,
        )
    axis.axhline(1 / len(names), color="gray", linestyle=":", label="uniform")
    axis.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    axis.set_ylabel("fraction of images (predicted class)")
    axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _train_gan(config, strategy, x, y, metric, output_dir, num_classes=None):
    with strategy.scope():
        gan = build_gan(config, num_classes)
        compile_gan(gan, config)
    name = gan.name
    monitor = FrechetMonitor(
        metric, output_dir / f"{name}_samples", config.eval_samples, config.seed
    )
    untrained = _untrained_scores(gan, metric, config)
    callbacks = [
        monitor,
        keras.callbacks.CSVLogger(str(output_dir / f"{name}_history.csv")),
    ]
    start = time.perf_counter()
    gan.fit(
        x,
        None if num_classes is None else y,
        batch_size=config.batch_size,
        epochs=config.epochs if num_classes is None else config.conditional_epochs,
        callbacks=callbacks,
        verbose=config.verbose,
    )
    return gan, monitor, time.perf_counter() - start, untrained


def _untrained_scores(gan, metric, config):
    """The baseline: the scores of the generator before any training step.

    Its samples use the same noise as the per-epoch evaluation (`seed + 1`),
    so the trained distance compares with it sample for sample. For a
    conditional generator, also the fraction of samples classified as the
    class they were asked for.
    """
    images, labels = _images(gan, config.eval_samples, config.seed + 1, gan.num_classes)
    scores = {"distance": metric.distance(images)}
    if labels is not None:
        scores["label_accuracy"] = float(
            np.mean(metric.predict_classes(images) == labels)
        )
    return scores


def _example_noise(config):
    noise = np.random.default_rng(config.seed).standard_normal((3, config.latent_dim))
    return noise.astype("float32")


def dcgan_experiment(config, strategy, x, metric, output_dir):
    """The unconditional DCGAN: trained, scored, saved and exported.

    Returns:
        `(metrics, distances, histogram, samples)`: its metrics (SavedModel
        path included), its Fréchet distance after each epoch, the
        predicted-class fractions of its evaluation samples, and those samples.
    """
    gan, monitor, seconds, untrained = _train_gan(
        config, strategy, x, None, metric, output_dir
    )
    distances = monitor.distances
    with evaluated(gan):
        samples, _ = _images(gan, config.eval_samples, config.seed + 2)
    histogram = metric.class_histogram(samples)
    coverage = class_coverage(histogram)
    metrics = {
        "fd_dcgan": distances[-1],
        "fd_dcgan_best": min(distances),
        "fd_dcgan_untrained": untrained["distance"],
        "dcgan_epochs": len(distances),
        "dcgan_classes_covered": coverage["classes_covered"],
        "dcgan_class_entropy_ratio": coverage["entropy_ratio"],
        "dcgan_largest_class_fraction": coverage["largest_class_fraction"],
        "dcgan_train_minutes": seconds / 60.0,
    }
    gan.save(output_dir / "models" / "dcgan.keras")
    with evaluated(gan):
        metrics["saved_model_generator"] = str(
            export_saved_model(
                gan,
                Path(config.export_dir) / "generator",
                endpoints=gan.serving_endpoints(),
                examples={
                    "serving_default": _example_noise(config),
                    "generate": [np.int32(config.seed), np.int32(3)],
                },
            )
        )
    return metrics, distances, histogram, samples


def conditional_dcgan_experiment(config, strategy, x, y, metric, output_dir):
    """The class-conditional DCGAN: trained, scored, saved and exported.

    Its evaluation samples cycle through the classes; a sample counts as
    right when the feature classifier reads the class it was asked for.

    Returns:
        `(metrics, distances, histogram, samples)`, as `dcgan_experiment`.
    """
    conditional, monitor, seconds, untrained = _train_gan(
        config, strategy, x, y, metric, output_dir, NUM_CLASSES
    )
    distances = monitor.distances
    with evaluated(conditional):
        samples, labels = _images(
            conditional, config.eval_samples, config.seed + 2, NUM_CLASSES
        )
    predicted = metric.predict_classes(samples)
    histogram = np.bincount(predicted, minlength=NUM_CLASSES) / len(predicted)
    per_class = [
        float(np.mean(predicted[labels == c] == c)) for c in range(NUM_CLASSES)
    ]
    coverage = class_coverage(histogram)
    metrics = {
        "fd_conditional_dcgan": distances[-1],
        "fd_conditional_dcgan_best": min(distances),
        "fd_conditional_dcgan_untrained": untrained["distance"],
        "conditional_label_accuracy": float(np.mean(predicted == labels)),
        "conditional_label_accuracy_untrained": untrained["label_accuracy"],
        "conditional_label_accuracy_per_epoch": monitor.label_accuracies,
        "conditional_worst_class_accuracy": min(per_class),
        "chance_accuracy": 1.0 / NUM_CLASSES,
        "conditional_worst_class": (
            f"{fashion_mnist.CLASS_NAMES[int(np.argmin(per_class))]}: "
            f"{min(per_class):.3f}"
        ),
        "conditional_classes_covered": coverage["classes_covered"],
        "conditional_train_minutes": seconds / 60.0,
    }
    conditional.save(output_dir / "models" / "conditional_dcgan.keras")
    with evaluated(conditional):
        metrics["saved_model_conditional_generator"] = str(
            export_saved_model(
                conditional,
                Path(config.export_dir) / "conditional_generator",
                endpoints=conditional.serving_endpoints(),
                examples={
                    "generate_from_noise": [
                        _example_noise(config),
                        np.arange(3, dtype="int32"),
                    ],
                    "generate": [np.int32(config.seed), np.int32(3)],
                },
            )
        )
    return metrics, distances, histogram, samples


def vae_experiment(config, strategy, x, metric):
    """The VAE trained on the same images, scored on its decoder means.

    Returns:
        `(metrics, histogram, samples)`, as `dcgan_experiment` (no per-epoch
        distances, no export).
    """
    with strategy.scope():
        vae = image_vae(
            IMAGE_SHAPE[:2],
            config.vae_latent_dim,
            hidden_units=config.vae_hidden_units,
            noise_variance=0.02,
            seed=config.seed,
            name=f"vae_{config.vae_latent_dim}d",
        )
        vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    start = time.perf_counter()
    vae.fit(
        x[..., 0],
        batch_size=config.batch_size,
        epochs=config.vae_epochs,
        verbose=config.verbose,
    )
    samples = np.asarray(vae.sample(config.eval_samples, seed=config.seed + 2))
    histogram = metric.class_histogram(samples)
    metrics = {
        "fd_vae": metric.distance(samples),
        "vae_epochs": config.vae_epochs,
        "vae_classes_covered": class_coverage(histogram)["classes_covered"],
        "vae_train_minutes": (time.perf_counter() - start) / 60.0,
    }
    return metrics, histogram, samples


def _summary(metrics):
    lines = [
        "Fréchet distance in the feature space of the Fashion-MNIST classifier "
        f"({metrics['classifier_source']}, test accuracy "
        f"{metrics['classifier_test_accuracy']:.3f}); NOT Inception FID. "
        f"Lower is better; distances to {metrics['fd_reference']} images; real "
        f"training vs {metrics['fd_reference']} images give "
        f"{metrics['fd_real_train_vs_test']:.3g} (the floor).",
        "",
        f"- DCGAN after {metrics['dcgan_epochs']} epochs: "
        f"{metrics['fd_dcgan']:.3g} (best epoch {metrics['fd_dcgan_best']:.3g}).",
    ]
    if "fd_conditional_dcgan" in metrics:
        per_epoch = ", ".join(
            f"{100 * a:.1f}%" for a in metrics["conditional_label_accuracy_per_epoch"]
        )
        lines.append(
            f"- Conditional DCGAN: {metrics['fd_conditional_dcgan']:.3g}; "
            f"{100 * metrics['conditional_label_accuracy']:.1f}% of its samples "
            "are classified as the class they were asked for (per epoch: "
            f"{per_epoch}; worst class {metrics['conditional_worst_class']})."
        )
    if "fd_vae" in metrics:
        better = "DCGAN" if metrics["fd_dcgan"] < metrics["fd_vae"] else "VAE"
        lines.append(
            f"- VAE (decoder means of z ~ N(0, I), {metrics['vae_epochs']} epochs): "
            f"{metrics['fd_vae']:.3g}. The {better} samples are closer to the "
            "real images in this feature space."
        )
    lines.append(
        f"- Class coverage of DCGAN samples: {metrics['dcgan_classes_covered']} of "
        f"10 classes hold at least 1% of the samples; normalised entropy "
        f"{metrics['dcgan_class_entropy_ratio']:.3f} (1 = uniform)."
    )
    return "\n".join(lines) + "\n"


def split_reference(config, x_train, y_train, x_test):
    """The real images the Fréchet distances are measured against.

    Returns:
        `(reference, x_train, y_train)`: with `fd_reference="test"` the first
        `reference_size` test images and the training set unchanged; with
        `"validation"` the last `reference_size` training images, removed from
        the training set so that no model (GANs, VAE, the demo's own
        classifier) sees them.
    """
    size = config.reference_size
    if config.fd_reference == "validation":
        return x_train[-size:], x_train[:-size], y_train[:-size]
    return x_test[:size], x_train, y_train


def train_and_evaluate(config):
    """Trains the classifier (or loads it), the two GANs and the VAE; scores them.

    Returns:
        Metrics: the classifier's test accuracy; Fréchet distances (classifier
        features) of real training images, the DCGAN (last and best epoch),
        the conditional DCGAN and the VAE against the test images; class
        coverage of the samples; the conditional GAN's label accuracy; wall
        times; SavedModel paths.
    """
    start = time.perf_counter()
    keras.utils.set_random_seed(config.seed)
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "models").mkdir(exist_ok=True)
    strategy = make_strategy(config.strategy)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(
        data_dir=config.data_dir or None
    )
    reference, x_train, y_train = split_reference(config, x_train, y_train, x_test)
    if config.train_size:
        x_train, y_train = x_train[: config.train_size], y_train[: config.train_size]
    x_fit = (x_train.astype("float32") / 255.0)[..., None]
    y_fit = y_train.astype("int32")

    classifier, source, accuracy = load_or_train_classifier(
        config, x_train, y_train, x_test, y_test
    )
    metric = FeatureFrechetDistance(classifier, reference)
    rng = np.random.default_rng(config.seed)
    real_sample = x_train[rng.permutation(len(x_train))[: config.eval_samples]]
    metrics = {
        "fd_reference": config.fd_reference,
        "classifier_source": source,
        "classifier_test_accuracy": accuracy,
        "fd_real_train_vs_test": metric.distance(real_sample),
    }
    split = config.fd_reference
    histograms = {f"real {split} images": metric.class_histogram(reference)}
    references = {f"real train vs {split} (floor)": metrics["fd_real_train_vs_test"]}

    part, distances, histograms["DCGAN"], samples = dcgan_experiment(
        config, strategy, x_fit, metric, output_dir
    )
    metrics.update(part)
    curves = {"DCGAN": distances}
    panels = {"DCGAN": samples[:_GRID]}

    if config.conditional_epochs:
        part, distances, histograms["conditional DCGAN"], samples = (
            conditional_dcgan_experiment(
                config, strategy, x_fit, y_fit, metric, output_dir
            )
        )
        metrics.update(part)
        curves["conditional DCGAN"] = distances
        panels["conditional DCGAN (labels 0-9 cycling)"] = samples[:_GRID]

    if config.vae_epochs:
        part, histograms["VAE"], samples = vae_experiment(
            config, strategy, x_fit, metric
        )
        metrics.update(part)
        references["VAE"] = metrics["fd_vae"]
        panels["VAE (decoder mean)"] = samples[:_GRID]

    plot_distances(curves, references, output_dir / "frechet_distance.png")
    plot_class_histograms(histograms, output_dir / "class_coverage.png")
    plot_sample_grids(panels, output_dir / "samples.png")
    summary = _summary(metrics)
    (output_dir / "summary.md").write_text(summary)
    if config.verbose:
        print(summary, flush=True)
    metrics["wall_minutes"] = (time.perf_counter() - start) / 60.0
    return metrics
