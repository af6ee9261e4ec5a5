"""Multitask: Fashion-MNIST and MNIST digits through one trunk vs each task alone."""

import dataclasses


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
