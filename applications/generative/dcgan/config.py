"""DCGAN and conditional DCGAN on Fashion-MNIST vs the VAE: classifier-feature FD."""

import dataclasses

from applications.config_checks import (
    check_learning_rate,
    check_run_fields,
    check_subset_size,
)
from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.models.dcgan_builders import CONDITIONINGS
from kerastoolkit.models.gan import LOSSES
from kerastoolkit.utils.argument_checks import (
    boolean,
    int_in_range,
    non_negative_int,
    number_in_range,
    one_of,
    positive_int,
    sequence_of,
)

FD_REFERENCES = ("test", "validation")


@dataclasses.dataclass
class Config:
    # Where Fashion-MNIST is ("" = KERASTOOLKIT_DATA_DIR, Debian's package, cache).
    data_dir: str = ""
    # Train on the first N training images (0 = all 60,000).
    train_size: int = 0
    # Real reference images for the Fréchet distance: the first N test images.
    reference_size: int = 5000
    # Where those reference images come from: "test" (the first N official
    # test images, for the final run) or "validation" (the last N training
    # images, held out from every model's training): the latter is how
    # settings are chosen without reading the test split.
    fd_reference: str = "test"
    # Generated images per Fréchet-distance and class-coverage evaluation.
    eval_samples: int = 5000
    # The feature classifier: a `.keras` Fashion-MNIST classifier taking uint8
    # (28, 28) images (the vision demo's runs/fashion_mnist/model.keras); when the
    # file does not exist (or "" is given) the demo trains its own small CNN.
    classifier_path: str = "runs/fashion_mnist/model.keras"
    # Epochs of the demo's own classifier (when it trains one).
    classifier_epochs: int = 3
    # Mini-batch size of the demo's own classifier (when it trains one).
    classifier_batch_size: int = 128
    # Size of the noise vector z.
    latent_dim: int = 64
    # Generator channels: the 7x7 projection, then each upsampled map.
    generator_filters: tuple[int, ...] = (64, 32)
    # Discriminator channels of each stride-2 convolution.
    discriminator_filters: tuple[int, ...] = (32, 64)
    # Dropout before the discriminator's logit.
    discriminator_dropout: float = 0.3
    # How the conditional discriminator uses the label: "projection" (Miyato and
    # Koyama 2018) or "label_map" (an embedded label channel, Mirza and Osindero).
    conditioning: str = "projection"
    # Spectral normalisation of the discriminator's convolutions and logit layer.
    spectral_norm: bool = True
    # Adversarial loss: "non_saturating" or "wgan_gp".
    loss: str = "non_saturating"
    # Adam learning rate of the generator (and of the discriminator unless
    # discriminator_learning_rate is set); beta_1 = 0.5, as in DCGAN.
    learning_rate: float = 2e-4
    # Adam learning rate of the discriminator (0 = learning_rate); a different
    # value is the two time-scale update rule (TTUR, Heusel et al. 2017).
    discriminator_learning_rate: float = 0.0
    # Momentum of the moving average of the generator's weights that samples,
    # scores and exports use (0 = off: the trained weights themselves).
    generator_ema: float = 0.99
    # Mini-batch size.
    batch_size: int = 128
    # Epochs of the unconditional DCGAN. 12 each fill about 20 of the demo's
    # 30 minutes here (about 40 s an epoch). At 4 epochs the distance had
    # levelled off near 70 whatever the variant (validation reference, seed 0:
    # defaults 70.5, TTUR 4x 83.0, generator (128, 64) 71.6, no spectral
    # norm 71.7, discriminator (64, 128) 80.1 at epoch 3): training length
    # is what is left to give.
    epochs: int = 12
    # Epochs of the class-conditional DCGAN (0 = skip it).
    conditional_epochs: int = 12
    # Epochs of the VAE trained in the same run for comparison (0 = skip it).
    vae_epochs: int = 5
    # Latent size of that VAE.
    vae_latent_dim: int = 20
    # Hidden layer sizes of the VAE's dense encoder (the decoder mirrors them).
    vae_hidden_units: tuple[int, ...] = (512, 256)
    # Distribution strategy: "default", "mirrored", "multi_worker" or "tpu".
    strategy: str = "default"
    # Random seed for weights, noise, shuffling and evaluation samples.
    seed: int = 0
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 2
    # Where metrics, sample grids, plots, CSV logs and the report go.
    output_dir: str = "runs/dcgan"
    # SavedModel base directory: generator/ and conditional_generator/ inside.
    export_dir: str = "saved_models/dcgan"

    @classmethod
    def quick(cls):
        """The smallest run that shows both GANs learning, in about 30 s.

        8,192 training images; a classifier trained here for one epoch (about
        65% test accuracy, enough to tell the classes apart); small networks
        trained for one epoch of 256 steps at a high learning rate. Their
        samples land far closer to the real images than the untrained
        generator's, and the conditional GAN's samples are mostly read as the
        class asked for.
        """
        return cls(
            train_size=8192,
            reference_size=500,
            eval_samples=500,
            classifier_path="",
            classifier_epochs=1,
            classifier_batch_size=32,
            latent_dim=32,
            generator_filters=(32, 16),
            discriminator_filters=(16, 32),
            learning_rate=2e-3,
            batch_size=32,
            generator_ema=0.95,
            epochs=1,
            conditional_epochs=1,
            vae_epochs=1,
            vae_latent_dim=4,
            vae_hidden_units=(16,),
        )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        check_subset_size(
            "train_size",
            self.train_size,
            fashion_mnist.SPLIT_SIZES["train"],
            "the Fashion-MNIST training images",
        )
        test_images = fashion_mnist.SPLIT_SIZES["test"]
        int_in_range("reference_size", self.reference_size, 2, test_images)
        one_of("fd_reference", self.fd_reference, FD_REFERENCES)
        # A Fréchet distance needs covariances: two images at least.
        int_in_range("eval_samples", self.eval_samples, 2)
        positive_int("classifier_epochs", self.classifier_epochs)
        positive_int("latent_dim", self.latent_dim)
        # Each filter count is one stride-2 step of 28x28 images: 28 halves
        # twice at most.
        for name in ("generator_filters", "discriminator_filters"):
            filters = sequence_of(name, getattr(self, name), positive_int)
            if len(filters) > 2:
                raise ValueError(
                    f"`{name}` must hold 1 or 2 filter counts (each halves the "
                    f"28x28 image), got {filters!r}."
                )
        number_in_range(
            "discriminator_dropout", self.discriminator_dropout, 0, 1, high_open=True
        )
        one_of("conditioning", self.conditioning, CONDITIONINGS)
        boolean("spectral_norm", self.spectral_norm)
        one_of("loss", self.loss, LOSSES)
        check_learning_rate("learning_rate", self.learning_rate)
        check_learning_rate(
            "discriminator_learning_rate", self.discriminator_learning_rate
        )
        number_in_range("generator_ema", self.generator_ema, 0, 1, high_open=True)
        positive_int("batch_size", self.batch_size)
        positive_int("epochs", self.epochs)
        non_negative_int("conditional_epochs", self.conditional_epochs)
        non_negative_int("vae_epochs", self.vae_epochs)
        positive_int("vae_latent_dim", self.vae_latent_dim)
        sequence_of("vae_hidden_units", self.vae_hidden_units, positive_int)
