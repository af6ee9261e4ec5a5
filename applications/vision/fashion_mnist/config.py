"""Fashion-MNIST CNN: >= 93% test accuracy on the official split, raw-uint8 export."""

import dataclasses

from applications.config_checks import (
    check_fashion_mnist_subsets,
    check_learning_rate,
    check_plain_cnn_filters,
    check_run_fields,
    check_validation_split,
)
from kerastoolkit.models.image_classifier import POOLINGS
from kerastoolkit.utils.argument_checks import (
    boolean,
    non_negative_int,
    number_in_range,
    one_of,
    positive_int,
    rate,
    sequence_of,
)

# The backbones `train.build_backbone` builds.
BACKBONES = ("plain_cnn", "small_resnet")


@dataclasses.dataclass
class Config:
    # Where Fashion-MNIST is ("" = KERASTOOLKIT_DATA_DIR, Debian's package, cache).
    data_dir: str = ""
    # Use only the first N training images (0 = all 60,000).
    train_size: int = 0
    # Evaluate on the first N official test images (0 = all 10,000).
    test_size: int = 0
    # Fraction of the training images held out for validation and checkpointing.
    validation_split: float = 0.1
    # The backbone: "plain_cnn" (VGG-style blocks) or "small_resnet" (pre-activation).
    backbone: str = "plain_cnn"
    # Filters of each block (plain_cnn) or stage (small_resnet), bottom to top.
    filters: tuple[int, ...] = (32, 64, 128)
    # Convolutions per block (plain_cnn).
    convs_per_block: int = 1
    # Residual blocks per stage (small_resnet).
    blocks_per_stage: int = 1
    # Dropout inside the backbone (after each block, or inside each residual block).
    dropout: float = 0.0
    # How the feature map becomes a vector: "avg", "max" or "flatten".
    pooling: str = "flatten"
    # Dropout before the classifier layer.
    head_dropout: float = 0.3
    # Random shift in training, as a fraction of the side (0 = none; under the
    # former 27-minute cap shifts slowed learning more than they regularised).
    translation: float = 0.0
    # Random left-right flips in training.
    horizontal_flip: bool = True
    # Peak learning rate of AdamW (cosine decay to zero over the epochs, or by
    # the optional time cap when that comes first).
    learning_rate: float = 3e-3
    # AdamW's decoupled weight decay.
    weight_decay: float = 1e-4
    # Mini-batch size.
    batch_size: int = 128
    # Number of epochs (the cosine schedule spans all of them).
    epochs: int = 30
    # Epochs without validation improvement before stopping (0 = never stop early).
    patience: int = 0
    # An optional cap in minutes of training (0 = none, the default: the run's
    # length is `epochs`, the same model on a fast and a slow machine). With a
    # cap the schedule follows the clock when it runs short, and no epoch starts
    # that would end later.
    time_budget_minutes: float = 0.0
    # Random seed for weights, shuffling, augmentation and the validation split.
    seed: int = 0
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 2
    # Distribution strategy: default, mirrored (every local GPU), multi_worker
    # (machines in TF_CONFIG) or tpu. Batch sizes are global, split over replicas.
    strategy: str = "default"
    # Where metrics, plots and the report go.
    output_dir: str = "runs/fashion_mnist"
    # SavedModel base directory (versions 1, 2, ... inside, as TF Serving reads).
    export_dir: str = "saved_models/fashion_mnist"

    @classmethod
    def quick(cls):
        """The smallest run that learns: 2,000 training and test images, two
        epochs of a small network, about 70% test accuracy against 10% for the
        majority class (seconds on a laptop)."""
        return cls(
            train_size=2000, test_size=2000, filters=(16, 32), batch_size=32, epochs=2
        )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        images = check_fashion_mnist_subsets(self)
        # 0: no validation images (the checkpoint then follows training
        # accuracy).
        check_validation_split(self.validation_split, images, allow_none=True)
        one_of("backbone", self.backbone, BACKBONES)
        if self.backbone == "plain_cnn":
            check_plain_cnn_filters(self.filters)
        else:
            sequence_of("filters", self.filters, positive_int)
        positive_int("convs_per_block", self.convs_per_block)
        positive_int("blocks_per_stage", self.blocks_per_stage)
        rate("dropout", self.dropout)
        one_of("pooling", self.pooling, POOLINGS)
        rate("head_dropout", self.head_dropout)
        rate("translation", self.translation)
        boolean("horizontal_flip", self.horizontal_flip)
        check_learning_rate("learning_rate", self.learning_rate)
        number_in_range("weight_decay", self.weight_decay, 0)
        positive_int("batch_size", self.batch_size)
        positive_int("epochs", self.epochs)
        non_negative_int("patience", self.patience)
        number_in_range("time_budget_minutes", self.time_budget_minutes, 0)
