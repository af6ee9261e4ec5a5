"""Transfer learning: a Fashion-MNIST CNN fine-tuned on MNIST digits from few labels."""

import dataclasses


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
