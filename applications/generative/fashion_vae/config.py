"""VAE vs PPCA, PCA, linear and deep autoencoders on Fashion-MNIST (likelihood, MSE)."""

import dataclasses


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
