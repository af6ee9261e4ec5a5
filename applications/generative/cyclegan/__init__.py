"""CycleGAN between MNIST digits and the upsampled 8x8 scikit-learn digits."""
