"""MNIST-1D classified by this package's LSTM and simple RNN, and a 1D CNN."""
