"""Transfer learning from Fashion-MNIST to MNIST digits with few labels."""
