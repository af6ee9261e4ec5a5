"""Multitask learning: Fashion-MNIST classes and MNIST digits through one trunk."""
