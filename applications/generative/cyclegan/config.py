"""CycleGAN: MNIST (5k subset) <-> upsampled 8x8 sklearn digits, unpaired."""

import dataclasses

from applications.config_checks import check_learning_rate, check_run_fields
from kerastoolkit.models.cycle_gan import ADVERSARIAL_LOSSES
from kerastoolkit.utils.argument_checks import (
    non_negative_int,
    number_in_range,
    one_of,
    positive_int,
    sequence_of,
)

# Images of sklearn's 8x8 digits, the smaller domain.
SMALLER_DOMAIN = 1797

# The remedies against content hidden in the translation that `ablation` runs.
ABLATIONS = (
    "no_identity",
    "identity_x5",
    "no_cycle_noise",
    "small_generators",
    "semantic",
)


@dataclasses.dataclass
class Config:
    # Fraction of each domain's images held out for evaluation (seeded split).
    test_fraction: float = 0.2
    # Use only the first N training images of each domain after the split (0 = all).
    train_size: int = 0
    # Channels of the generators at full resolution (twice as many at half).
    generator_filters: int = 16
    # Residual blocks of each generator.
    residual_blocks: int = 2
    # Channels of the PatchGAN discriminators' stride-2 convolutions.
    discriminator_filters: tuple[int, ...] = (32, 64)
    # Weight of the cycle-consistency loss |F(G(x)) - x|_1 + |G(F(y)) - y|_1.
    lambda_cycle: float = 10.0
    # Weight of the identity loss |G(y) - y|_1 + |F(x) - x|_1 (0 = off).
    lambda_identity: float = 1.0
    # Standard deviation of Gaussian noise added to each translation before it
    # is translated back (0 = off): drowns a signal hidden in the translation.
    cycle_noise: float = 0.1
    # Weight of a semantic consistency term (CyCADA): a digit classifier of
    # both domains, trained here WITH the training images' labels and then
    # frozen, must read G(x) as x's digit and F(y) as y's. 0 = off, and the
    # translation stays unsupervised.
    lambda_content: float = 0.0
    # Adversarial loss: "lsgan" (the paper's) or "non_saturating".
    adversarial_loss: str = "lsgan"
    # Adam learning rate of generators and discriminators (beta_1 = 0.5).
    learning_rate: float = 2e-4
    # Mini-batch size (pairs of one MNIST and one sklearn image, unpaired).
    batch_size: int = 32
    # Training epochs; an epoch is one pass over the MNIST training images (the
    # smaller sklearn set is reshuffled and repeated alongside).
    epochs: int = 8
    # Epochs of each evaluation classifier (two digit classifiers, one domain).
    classifier_epochs: int = 5
    # Also train each remedy against hidden content with the same budget and
    # report content kept both ways per variant (ablation.md, metrics
    # ablation_<variant>_*): "no_identity" (lambda_identity 0), "identity_x5"
    # (5 x lambda_identity), "no_cycle_noise" (cycle_noise 0),
    # "small_generators" (half the filters, one residual block), "semantic"
    # (lambda_content 1: supervised, uses both domains' digit labels).
    # Empty = none.
    ablation: tuple[str, ...] = ()
    # Distribution strategy: "default", "mirrored", "multi_worker" or "tpu".
    strategy: str = "default"
    # Random seed for the split, weights and shuffling.
    seed: int = 0
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 2
    # Where metrics, image grids, the CSV log and the report go.
    output_dir: str = "runs/cyclegan"
    # SavedModel base directory: mnist_to_digits/ and digits_to_mnist/ inside.
    export_dir: str = "saved_models/cyclegan"

    @classmethod
    def quick(cls):
        """The smallest run that shows translation, in about a minute.

        1,024 training images per domain, small networks (8 filters, one
        residual block), two epochs at a high learning rate (64 steps), and
        classifiers trained for two epochs. Most translations cross to the
        other domain by the domain classifier's verdict while their digit is
        still read well above chance; beating the untranslated images'
        content figure needs the full run (see `GUARDS` in train.py).
        """
        return cls(
            train_size=1024,
            generator_filters=8,
            residual_blocks=1,
            discriminator_filters=(8, 16),
            learning_rate=2e-3,
            epochs=2,
            classifier_epochs=2,
        )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        number_in_range(
            "test_fraction", self.test_fraction, 0, 1, low_open=True, high_open=True
        )
        # Both domains keep test and training images: the smaller one has
        # 1,797 (sklearn's digits).
        held_out = round(self.test_fraction * SMALLER_DOMAIN)
        if not 1 <= held_out < SMALLER_DOMAIN:
            raise ValueError(
                f"`test_fraction` must hold out at least one and not all of the "
                f"{SMALLER_DOMAIN} sklearn digits, got {self.test_fraction!r}."
            )
        non_negative_int("train_size", self.train_size)
        positive_int("generator_filters", self.generator_filters)
        positive_int("residual_blocks", self.residual_blocks)
        sequence_of("discriminator_filters", self.discriminator_filters, positive_int)
        number_in_range("lambda_cycle", self.lambda_cycle, 0)
        number_in_range("lambda_identity", self.lambda_identity, 0)
        number_in_range("cycle_noise", self.cycle_noise, 0)
        number_in_range("lambda_content", self.lambda_content, 0)
        one_of("adversarial_loss", self.adversarial_loss, ADVERSARIAL_LOSSES)
        check_learning_rate("learning_rate", self.learning_rate)
        positive_int("batch_size", self.batch_size)
        positive_int("epochs", self.epochs)
        positive_int("classifier_epochs", self.classifier_epochs)
        sequence_of(
            "ablation",
            self.ablation,
            lambda name, value: one_of(name, value, ABLATIONS),
            min_length=0,
            unique=True,
        )
