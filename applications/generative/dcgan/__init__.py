"""DCGAN and conditional DCGAN on Fashion-MNIST, scored by a classifier's FD."""
