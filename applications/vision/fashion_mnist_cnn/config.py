"""Small CNN on Fashion-MNIST: test accuracy on the official split, raw-uint8 export."""

import dataclasses


@dataclasses.dataclass
class Config:
    # Where Fashion-MNIST is ("" = KERASTOOLKIT_DATA_DIR, Debian's package, cache).
    data_dir: str = ""
    # Use only the first N training images (0 = all 60,000).
    train_size: int = 0
    # Fraction of the training images held out for validation/early stopping.
    validation_split: float = 0.1
    # Filters of the two convolution blocks.
    filters: tuple[int, ...] = (32, 64)
    # Units of the dense layer before the classifier.
    dense_units: int = 128
    # Dropout before the dense layers.
    dropout: float = 0.3
    # Adam learning rate.
    learning_rate: float = 1e-3
    # Mini-batch size.
    batch_size: int = 128
    # Maximum number of epochs (early stopping may end sooner).
    epochs: int = 12
    # Epochs without validation improvement before stopping.
    patience: int = 3
    # Random seed for weights, shuffling and the validation split.
    seed: int = 0
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 1
    # Where metrics, plots and the report go.
    output_dir: str = "runs/fashion_mnist_cnn"
    # SavedModel base directory (versions 1, 2, ... inside, as TF Serving reads).
    export_dir: str = "saved_models/fashion_mnist_cnn"

    @classmethod
    def quick(cls):
        """A smoke run: 2,000 training images, one epoch."""
        return cls(train_size=2000, epochs=1, patience=1, verbose=2)
