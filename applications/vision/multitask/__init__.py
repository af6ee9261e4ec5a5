"""Multitask learning: few-label Fashion-MNIST with an auxiliary task, one trunk."""
