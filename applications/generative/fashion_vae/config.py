"""VAE vs PPCA, PCA, linear and deep autoencoders on Fashion-MNIST (likelihood, MSE)."""

import dataclasses

from applications.config_checks import (
    check_fashion_mnist_subsets,
    check_learning_rate,
    check_run_fields,
    check_validation_split,
)
from kerastoolkit.models.image_autoencoder_builders import ARCHITECTURES
from kerastoolkit.utils.argument_checks import (
    int_in_range,
    non_negative_int,
    number_in_range,
    one_of,
    positive_int,
    sequence_of,
)


@dataclasses.dataclass
class Config:
    # Where Fashion-MNIST is ("" = KERASTOOLKIT_DATA_DIR, Debian's package, cache).
    data_dir: str = ""
    # Use only the first N training images (0 = all 60,000).
    train_size: int = 0
    # Evaluate on the first N test images (0 = all 10,000).
    test_size: int = 0
    # Fraction of the training images held out for validation/early stopping.
    validation_split: float = 0.1
    # Latent size q, the same for PCA, PPCA and all three autoencoders.
    latent_dim: int = 20
    # Encoder/decoder builders: "dense" (MLP) or "conv" (strided convolutions).
    architecture: str = "dense"
    # Hidden layer sizes of the dense encoder (the decoder mirrors them).
    hidden_units: tuple[int, ...] = (512, 256)
    # Filters of the convolutional encoder (the decoder mirrors them).
    filters: tuple[int, ...] = (32, 64)
    # Standard deviation of the deep autoencoder's input noise (0 = not denoising).
    noise_stddev: float = 0.0
    # Adam learning rate of the VAE and the deep autoencoder.
    learning_rate: float = 1e-3
    # Initial Adam learning rate of the linear autoencoder (cosine-decayed to 0).
    linear_learning_rate: float = 3e-3
    # Mini-batch size.
    batch_size: int = 128
    # Maximum epochs of the VAE (early stopping may end sooner).
    epochs: int = 30
    # Maximum epochs of the deep autoencoder.
    autoencoder_epochs: int = 20
    # Epochs of the linear autoencoder (no early stopping: the step decays to 0).
    linear_epochs: int = 10
    # Epochs of the extra VAE with a 2-D latent space for the latent plot.
    latent_plot_epochs: int = 15
    # Epochs without validation improvement before stopping.
    patience: int = 3
    # Random seed for weights, shuffling, sampling and the validation split.
    seed: int = 0
    # Keras progress output: 1 = progress bar, 2 = one line per epoch, 0 = silent.
    verbose: int = 2
    # Distribution strategy: default, mirrored (every local GPU), multi_worker
    # (machines in TF_CONFIG) or tpu. Batch sizes are global, split over replicas.
    strategy: str = "default"
    # Where metrics, the comparison table, figures and the report go.
    output_dir: str = "runs/fashion_vae"
    # SavedModel base directory: vae/, ppca/ and autoencoder/ inside, each with
    # versions 1, 2, ... as TF Serving reads them.
    export_dir: str = "saved_models/fashion_vae"

    @classmethod
    def quick(cls):
        """The smallest run that learns: 2,000 training and 1,000 test images,
        small networks, three epochs of the VAE in batches of 64 at a higher
        learning rate (one of the other models); the VAE's negative ELBO falls
        from about 2,800 nats untrained to about -50."""
        return cls(
            train_size=2000,
            test_size=1000,
            hidden_units=(64,),
            learning_rate=3e-3,
            batch_size=64,
            epochs=3,
            autoencoder_epochs=1,
            linear_epochs=1,
            latent_plot_epochs=1,
            patience=3,
            verbose=0,
        )

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        check_run_fields(self)
        images = check_fashion_mnist_subsets(self)
        # Early stopping and the comparison need validation images.
        check_validation_split(self.validation_split, images)
        # PPCA needs fewer latent dimensions than the 784 pixels.
        int_in_range("latent_dim", self.latent_dim, 1, 28 * 28 - 1)
        one_of("architecture", self.architecture, ARCHITECTURES)
        sequence_of("hidden_units", self.hidden_units, positive_int)
        sequence_of("filters", self.filters, positive_int)
        number_in_range("noise_stddev", self.noise_stddev, 0)
        check_learning_rate("learning_rate", self.learning_rate)
        check_learning_rate("linear_learning_rate", self.linear_learning_rate)
        positive_int("batch_size", self.batch_size)
        positive_int("epochs", self.epochs)
        positive_int("autoencoder_epochs", self.autoencoder_epochs)
        positive_int("linear_epochs", self.linear_epochs)
        positive_int("latent_plot_epochs", self.latent_plot_epochs)
        non_negative_int("patience", self.patience)
