"""Multitask: Fashion-MNIST and MNIST digits through one trunk vs each task alone."""

import dataclasses

from applications.config_checks import (
    check_learning_rate,
    check_plain_cnn_filters,
    check_run_fields,
    check_subset_size,
)
from kerastoolkit.datasets import fashion_mnist, mnist_5k
from kerastoolkit.utils.argument_checks import (
    int_in_range,
    non_negative_int,
    number_in_range,
    positive_int,
    rate,
    sequence_of,
)


@dataclasses.dataclass
class Config:
    # Where Fashion-MNIST is ("" = KERASTOOLKIT_DATA_DIR, Debian's package, cache).
    data_dir: str = ""
    # Labelled training images per class, for each task (the data budget).
    per_class: int = 50
    # Seeds: each draws its own labelled sets and initialisation.
    seeds: tuple[int, ...] = (0, 1, 2)
    # Filters of the plain CNN trunk's blocks.
    filters: tuple[int, ...] = (32, 64, 128)
    # Convolutions per block of the plain CNN.
    convs_per_block: int = 1
    # Passes over each model's own training set: every labelled image is seen as
    # often by the joint model as by its task's single-task model.
    epochs: int = 40
    # Adam's peak learning rate (cosine decay to zero over the run).
    learning_rate: float = 1e-3
    # Weight of the Fashion-MNIST loss in the joint loss.
    fashion_loss_weight: float = 1.0
    # Weight of the digits loss in the joint loss.
    digits_loss_weight: float = 1.0
    # Dropout on the trunk's features.
    dropout: float = 0.3
    # Random shift in training, as a fraction of the side.
    translation: float = 0.1
    # Mini-batch size.
    batch_size: int = 32
    # MNIST 5k images per digit held out as the digits test set.
    test_per_class: int = 200
    # Fashion-MNIST test images used (0 = the whole official test split).
    fashion_test_size: int = 0
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
        """A smoke run: a small trunk, 10 labels per class, one seed, two epochs."""
        return cls(
            per_class=10,
            seeds=(0,),
            filters=(8, 16),
            epochs=2,
            test_per_class=50,
            fashion_test_size=500,
        )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        # MNIST 5k has 500 images per digit: the test set takes
        # `test_per_class` of them, the labelled sets come from the rest.
        int_in_range("test_per_class", self.test_per_class, 1, mnist_5k.PER_CLASS - 1)
        pool = mnist_5k.PER_CLASS - self.test_per_class
        if not isinstance(self.per_class, int) or not 1 <= self.per_class <= pool:
            raise ValueError(
                f"`per_class` must be from 1 to {pool} (the MNIST 5k images per "
                f"digit left after `test_per_class`={self.test_per_class}), got "
                f"{self.per_class!r}."
            )
        sequence_of("seeds", self.seeds, non_negative_int, unique=True)
        check_plain_cnn_filters(self.filters)
        positive_int("convs_per_block", self.convs_per_block)
        positive_int("epochs", self.epochs)
        check_learning_rate("learning_rate", self.learning_rate)
        number_in_range("fashion_loss_weight", self.fashion_loss_weight, 0)
        number_in_range("digits_loss_weight", self.digits_loss_weight, 0)
        rate("dropout", self.dropout)
        rate("translation", self.translation)
        positive_int("batch_size", self.batch_size)
        check_subset_size(
            "fashion_test_size",
            self.fashion_test_size,
            fashion_mnist.SPLIT_SIZES["test"],
            "the Fashion-MNIST test images",
        )
