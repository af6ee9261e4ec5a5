"""Multitask learning: a task with few labels learnt through one trunk jointly
with a related auxiliary task that has many examples, versus the same network
trained on the few-label task alone."""

import dataclasses

from applications.config_checks import (
    check_curve_steps,
    check_learning_rate,
    check_plain_cnn_filters,
    check_run_fields,
    check_subset_size,
)
from applications.vision.label_budget import (
    DIGITS_SMALLEST_CLASS,
    DIGITS_TEST_PER_CLASS,
)
from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.utils.argument_checks import (
    int_in_range,
    non_negative_int,
    number_in_range,
    one_of,
    positive_int,
    rate,
    sequence_of,
)

# Each pairing: the main task (few labels) and the auxiliary task (many
# examples), trained jointly. `digits_style`: scikit-learn's 8x8 digits,
# upsampled to 28x28, with the MNIST 5k digits (same classes, other style).
# `fashion_rotation`: Fashion-MNIST's ten classes with which of 0/90/180/270
# degrees an unlabelled training image was turned by (self-supervised).
# `fashion_coarse`: Fashion-MNIST with the clothing / footwear / bag label of
# the same images. `fashion_mnist`: Fashion-MNIST with MNIST digits, the
# negative example (another domain, little to share).
PAIRINGS = ("digits_style", "fashion_rotation", "fashion_coarse", "fashion_mnist")
# Labelled training images per class held out of the main task's pool (and
# of Fashion-MNIST's auxiliary images) as its validation set.
VALIDATION_PER_CLASS = {"digits": 20, "fashion": 100}
# Labelled images per class the main task's pool holds: the sklearn digits'
# smallest class (174 eights) less the 100 per class held out for testing,
# each less its validation images.
POOL_PER_CLASS = {
    "digits": DIGITS_SMALLEST_CLASS
    - DIGITS_TEST_PER_CLASS
    - VALIDATION_PER_CLASS["digits"],
    "fashion": 6000 - VALIDATION_PER_CLASS["fashion"],
}
EVALUATE_ON = ("test", "validation")


@dataclasses.dataclass
class Config:
    # Where Fashion-MNIST is ("" = KERASTOOLKIT_DATA_DIR, Debian's package, cache).
    data_dir: str = ""
    # Pairings of a few-label main task with an auxiliary task, the first is
    # the headline (and exported): digits_style (sklearn 8x8 digits
    # upsampled + MNIST 5k digits), fashion_rotation (Fashion-MNIST +
    # rotation prediction on unlabelled images), fashion_coarse
    # (Fashion-MNIST + clothing/footwear/bag labels), fashion_mnist
    # (Fashion-MNIST + MNIST digits: the negative example). The default
    # leaves fashion_coarse out, and trains one budget, to fit the full run
    # in 30 minutes here: each (pairing, budget, seed) takes about 1.7
    # minutes on the idle 2-core machine, so all four pairings at two
    # budgets and 5 seeds would take about 70.
    pairings: tuple[str, ...] = ("digits_style", "fashion_rotation", "fashion_mnist")
    # Labelled main-task training images per class, one experiment each.
    labels_per_class: tuple[int, ...] = (5,)
    # Seeds: each draws its own labelled set, auxiliary batches and
    # initialisation, the same for the joint and the single-task networks
    # (paired comparisons).
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    # Fashion-MNIST training images the rotation and coarse tasks draw on
    # (0 = all 60,000).
    auxiliary_size: int = 0
    # Fashion-MNIST test images (0 = the whole official 10,000).
    test_size: int = 0
    # Where the main task is measured: "validation" (labelled training
    # images held out of the pool) to choose settings, "test" once they are
    # chosen.
    evaluate_on: str = "test"
    # Filters of the plain CNN trunk's blocks.
    filters: tuple[int, ...] = (32, 64, 128)
    # Convolutions per block of the plain CNN.
    convs_per_block: int = 1
    # Gradient steps of every network: each step sees `batch_size` labelled
    # main-task images, the same ones for the joint and single-task networks,
    # so both get the same passes over the main task's labels.
    steps: int = 600
    # Steps after which the joint and single-task networks are also
    # evaluated on the main task (besides their end), for the curve of the
    # gain against training length.
    curve_steps: tuple[int, ...] = (25, 50, 100, 200, 400)
    # Main-task evaluation images the curve's points (its end included) are
    # measured on: a fixed random subset (0 = all).
    curve_size: int = 1000
    # Labelled main-task images per step.
    batch_size: int = 32
    # Auxiliary-task images added to each step of a joint network.
    auxiliary_batch_size: int = 96
    # Weight of the auxiliary loss in the joint loss (the main task's is 1).
    auxiliary_loss_weight: float = 1.0
    # Adam's peak learning rate (cosine decay to zero over the steps).
    learning_rate: float = 1e-3
    # Dropout on the trunk's features.
    dropout: float = 0.3
    # Random shift in training, as a fraction of the side.
    translation: float = 0.1
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 0
    # Distribution strategy: default, mirrored (every local GPU), multi_worker
    # (machines in TF_CONFIG) or tpu. Batch sizes are global, split over replicas.
    strategy: str = "default"
    # Where metrics, the table, plots and the report go.
    output_dir: str = "runs/multitask"
    # SavedModel base directory (versions 1, 2, ... inside, as TF Serving reads).
    export_dir: str = "saved_models/multitask"

    @classmethod
    def quick(cls):
        """Upsampled sklearn digits from 5 labels per class, jointly with the
        MNIST 5k digits, 3 seeds, a small CNN, in about a minute: the joint
        network learns far above chance; its gain over the single-task
        network is reported, not reliably positive at this length."""
        return cls(
            pairings=("digits_style",),
            labels_per_class=(5,),
            seeds=(0, 1, 2),
            auxiliary_size=10000,
            test_size=2000,
            filters=(16, 32),
            steps=150,
            curve_steps=(25, 50, 100),
        )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        sequence_of(
            "pairings",
            self.pairings,
            lambda name, value: one_of(name, value, PAIRINGS),
            unique=True,
        )
        pool = min(POOL_PER_CLASS[p.split("_")[0]] for p in self.pairings)
        sequence_of(
            "labels_per_class",
            self.labels_per_class,
            lambda name, value: int_in_range(name, value, 1, pool),
            unique=True,
        )
        sequence_of("seeds", self.seeds, non_negative_int, unique=True)
        one_of("evaluate_on", self.evaluate_on, EVALUATE_ON)
        check_subset_size(
            "auxiliary_size",
            self.auxiliary_size,
            fashion_mnist.SPLIT_SIZES["train"],
            "the Fashion-MNIST training images",
        )
        check_subset_size(
            "test_size",
            self.test_size,
            fashion_mnist.SPLIT_SIZES["test"],
            "the Fashion-MNIST test images",
        )
        check_plain_cnn_filters(self.filters)
        positive_int("convs_per_block", self.convs_per_block)
        positive_int("steps", self.steps)
        check_curve_steps(self.curve_steps, self.steps)
        non_negative_int("curve_size", self.curve_size)
        positive_int("batch_size", self.batch_size)
        positive_int("auxiliary_batch_size", self.auxiliary_batch_size)
        number_in_range("auxiliary_loss_weight", self.auxiliary_loss_weight, 0)
        check_learning_rate("learning_rate", self.learning_rate)
        rate("dropout", self.dropout)
        rate("translation", self.translation)
