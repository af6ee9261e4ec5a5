"""Recurrent cells and layers, built on `keras.ops` only.

- `SimpleRNNCell`, `SimpleRNN`: the basic RNN of the notes (section 1.1),
  `z_t = g_z(W_zz z_{t-1} + W_xz x_t + b_z)`, with an optional output map.
- `LSTMCell`, `LSTM`: the long short-term memory of the notes (section 1.2).
"""

from kerastoolkit.layers.lstm import LSTM
from kerastoolkit.layers.lstm_cell import LSTMCell
from kerastoolkit.layers.simple_rnn import SimpleRNN
from kerastoolkit.layers.simple_rnn_cell import SimpleRNNCell

__all__ = ["LSTM", "LSTMCell", "SimpleRNN", "SimpleRNNCell"]
