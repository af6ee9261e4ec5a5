"""Fashion-MNIST CNN: >= 93% test accuracy on the official split, raw-uint8 export."""

import dataclasses


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
    # Random shift in training, as a fraction of the side (0 = none; within the
    # default time budget shifts slow learning more than they regularise).
    translation: float = 0.0
    # Random left-right flips in training.
    horizontal_flip: bool = True
    # Peak learning rate of AdamW (cosine decay to zero over the run, or by the
    # time budget when that comes first).
    learning_rate: float = 3e-3
    # AdamW's decoupled weight decay.
    weight_decay: float = 1e-4
    # Mini-batch size.
    batch_size: int = 128
    # Number of epochs (the cosine schedule spans all of them).
    epochs: int = 30
    # Epochs without validation improvement before stopping (0 = never stop early).
    patience: int = 0
    # Minutes of training allowed: the schedule then follows the clock, and no epoch
    # starts that would end later.
    time_budget_minutes: float = 27.0
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
