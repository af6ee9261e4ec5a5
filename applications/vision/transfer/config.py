"""Transfer learning: a Fashion-MNIST CNN fine-tuned on MNIST digits from few labels."""

import dataclasses

from applications.config_checks import (
    check_learning_rate,
    check_plain_cnn_filters,
    check_run_fields,
    check_subset_size,
)
from kerastoolkit.datasets import fashion_mnist, mnist_5k
from kerastoolkit.utils.argument_checks import (
    boolean,
    int_in_range,
    non_negative_int,
    positive_int,
    rate,
    sequence_of,
)


@dataclasses.dataclass
class Config:
    # Where Fashion-MNIST is ("" = KERASTOOLKIT_DATA_DIR, Debian's package, cache).
    data_dir: str = ""
    # A trained Fashion-MNIST model to start from (.keras, e.g. the fashion_mnist
    # demo's); "" = pretrain one here.
    pretrained_model: str = ""
    # Fashion-MNIST training images for pretraining (0 = all 60,000).
    pretrain_size: int = 0
    # Pretraining epochs on Fashion-MNIST.
    pretrain_epochs: int = 4
    # Filters of the plain CNN's blocks (the same network for transfer and scratch).
    filters: tuple[int, ...] = (32, 64, 128)
    # Convolutions per block of the plain CNN.
    convs_per_block: int = 1
    # Labelled MNIST images per digit, one experiment each.
    labels_per_class: tuple[int, ...] = (10, 50, 100)
    # Seeds: each draws its own labelled set and initialisation.
    seeds: tuple[int, ...] = (0, 1, 2)
    # MNIST 5k images per digit held out as the test set (the rest is the pool).
    test_per_class: int = 200
    # Gradient steps training the new head on the frozen backbone.
    head_steps: int = 300
    # Gradient steps fine-tuning the top blocks with the head (0 = skip).
    fine_tune_steps: int = 300
    # Top blocks of the backbone unfrozen for fine-tuning.
    unfreeze_blocks: int = 1
    # Whether the unfrozen blocks' BatchNormalization layers train too (Keras's
    # advice, followed by default, is to keep them in inference mode).
    fine_tune_batchnorm: bool = False
    # Adam's peak learning rate for the new head (cosine decay over each phase).
    head_learning_rate: float = 1e-3
    # Adam's (lower) peak learning rate for fine-tuning.
    fine_tune_learning_rate: float = 1e-4
    # Adam's peak learning rate from scratch (head_steps + fine_tune_steps steps).
    scratch_learning_rate: float = 1e-3
    # Dropout before the classifier layer.
    head_dropout: float = 0.3
    # Random shift of the digits in training, as a fraction of the side.
    translation: float = 0.1
    # Mini-batch size on MNIST.
    batch_size: int = 32
    # Random seed of pretraining.
    seed: int = 0
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 0
    # Distribution strategy: default, mirrored (every local GPU), multi_worker
    # (machines in TF_CONFIG) or tpu. Batch sizes are global, split over replicas.
    strategy: str = "default"
    # Where metrics, the table, plots and the report go.
    output_dir: str = "runs/transfer"
    # SavedModel base directory (versions 1, 2, ... inside, as TF Serving reads).
    export_dir: str = "saved_models/transfer"

    @classmethod
    def quick(cls):
        """A smoke run: a small network, brief pretraining, one budget, one seed."""
        return cls(
            pretrain_size=1000,
            pretrain_epochs=1,
            filters=(8, 16),
            labels_per_class=(10,),
            seeds=(0,),
            test_per_class=50,
            head_steps=12,
            fine_tune_steps=6,
        )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        check_subset_size(
            "pretrain_size",
            self.pretrain_size,
            fashion_mnist.SPLIT_SIZES["train"],
            "the Fashion-MNIST training images",
        )
        positive_int("pretrain_epochs", self.pretrain_epochs)
        filters = check_plain_cnn_filters(self.filters)
        positive_int("convs_per_block", self.convs_per_block)
        # MNIST 5k has 500 images per digit: the test set takes
        # `test_per_class` of them, the labelled sets come from the rest.
        int_in_range("test_per_class", self.test_per_class, 1, mnist_5k.PER_CLASS - 1)
        pool = mnist_5k.PER_CLASS - self.test_per_class
        sequence_of(
            "labels_per_class",
            self.labels_per_class,
            lambda name, value: int_in_range(name, value, 1, pool),
            unique=True,
        )
        sequence_of("seeds", self.seeds, non_negative_int, unique=True)
        positive_int("head_steps", self.head_steps)
        non_negative_int("fine_tune_steps", self.fine_tune_steps)
        # A `pretrained_model` brings its own blocks, counted when it loads.
        int_in_range(
            "unfreeze_blocks",
            self.unfreeze_blocks,
            0,
            None if self.pretrained_model else len(filters),
        )
        boolean("fine_tune_batchnorm", self.fine_tune_batchnorm)
        check_learning_rate("head_learning_rate", self.head_learning_rate)
        check_learning_rate("fine_tune_learning_rate", self.fine_tune_learning_rate)
        check_learning_rate("scratch_learning_rate", self.scratch_learning_rate)
        rate("head_dropout", self.head_dropout)
        rate("translation", self.translation)
        positive_int("batch_size", self.batch_size)
