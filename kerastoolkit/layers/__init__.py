"""Recurrent cells and layers and causal convolutions, built on `keras.ops` only.

- `SimpleRNNCell`, `SimpleRNN`: the basic RNN of the notes (section 1.1),
  `z_t = g_z(W_zz z_{t-1} + W_xz x_t + b_z)`, with an optional output map
  `y_t = g_y(W_zy z_t + b_y)`.
- `LSTMCell`, `LSTM`: the long short-term memory of the notes (section 1.2),
  weight-compatible with `keras.layers.LSTM`.
- `CausalConv1D`: a dilated convolution that sees only the past (WaveNet).

The VAE's reparameterisation layer, `Sampling`, lives next to its model in
`kerastoolkit.models`.
"""

from kerastoolkit.layers.causal_conv1d import CausalConv1D
from kerastoolkit.layers.lstm import LSTM
from kerastoolkit.layers.lstm_cell import LSTMCell
from kerastoolkit.layers.simple_rnn import SimpleRNN
from kerastoolkit.layers.simple_rnn_cell import SimpleRNNCell

__all__ = ["LSTM", "CausalConv1D", "LSTMCell", "SimpleRNN", "SimpleRNNCell"]
