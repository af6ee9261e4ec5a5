"""A VAE on Fashion-MNIST, compared with PPCA, PCA, a linear and a deep autoencoder."""
