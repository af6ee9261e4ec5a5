"""A small CNN on Fashion-MNIST, served from raw uint8 images."""
