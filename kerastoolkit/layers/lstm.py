"""The LSTM layer: `LSTMCell` run over a whole sequence."""

import keras

from kerastoolkit.layers.lstm_cell import LSTMCell
from kerastoolkit.layers.recurrent_layer import RecurrentLayer


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LSTM(RecurrentLayer):
    """Long short-term memory over a sequence, the notes' equations at each step.

    For t = 1..T, starting from `z_0 = c_0 = 0` (or `initial_state`):

        f_t = sigma(W_xf x_t + W_zf z_{t-1} + b_f)
        i_t = sigma(W_xi x_t + W_zi z_{t-1} + b_i)
        o_t = sigma(W_xo x_t + W_zo z_{t-1} + b_o)
        c_t = c_{t-1} * f_t + i_t * tanh(W_xc x_t + W_zc z_{t-1} + b_c)
        z_t = tanh(c_t) * o_t

    This is `keras.layers.RNN(LSTMCell(...))` with the cell's arguments on the
    layer. The weights have the names and the layout of `keras.layers.LSTM`
    (see `LSTMCell`), so `layer.set_weights(keras_lstm.get_weights())` works
    both ways. The step uses `keras.ops` only, so on every device the graph
    holds the same portable ops (no cuDNN kernel), which is what a SavedModel
    served on CPU needs; the price is that it never takes the cuDNN path
    `keras.layers.LSTM` takes on a GPU.

    Args:
        units: positive integer, the size of `z_t` and `c_t`.
        activation: the candidate and cell-output activation. Default `"tanh"`.
        recurrent_activation: the gate activation. Default `"sigmoid"`.
        use_bias: whether the gates have biases. Default `True`.
        kernel_initializer: initializer of `kernel`.
        recurrent_initializer: initializer of `recurrent_kernel`.
        bias_initializer: initializer of `bias`.
        unit_forget_bias: whether 1 is added to the initial forget-gate bias.
            Default `True`.
        kernel_regularizer: regularizer of `kernel`.
        recurrent_regularizer: regularizer of `recurrent_kernel`.
        bias_regularizer: regularizer of `bias`.
        kernel_constraint: constraint on `kernel`.
        recurrent_constraint: constraint on `recurrent_kernel`.
        bias_constraint: constraint on `bias`.
        return_sequences: return `z_1..z_T` rather than `z_T` only.
        return_state: also return the final states `z_T` and `c_T`.
        go_backwards: process the sequence from t = T down to 1 (and return
            the outputs in that order).
        stateful: carry the final states of one batch over as the initial
            states of the next (a fixed batch size is then required).
        unroll: unroll the time loop in the graph instead of a symbolic loop;
            faster for short sequences, more memory.
        **kwargs: further `keras.layers.RNN` and base layer arguments
            (`zero_output_for_mask`, `name`, `dtype`, `activity_regularizer`).

    Call arguments:
        sequences: a tensor of shape `(batch, timesteps, features)`.
        initial_state: optional list `[z_0, c_0]`.
        mask: optional boolean tensor `(batch, timesteps)`; where it is False
            the step is skipped and the states are carried over unchanged.
        training: Python boolean (passed to the cell).

    Returns:
        `z_T` of shape `(batch, units)`, or `(batch, timesteps, units)` with
        `return_sequences`; with `return_state`, the list `[output, z_T, c_T]`.

    Example:

    >>> lstm = LSTM(16, return_sequences=True)
    >>> lstm(np.zeros((4, 40, 1), "float32")).shape
    (4, 40, 16)

    References:
        Hochreiter and Schmidhuber, "Long short-term memory", Neural
        Computation 9(8), 1997.
        Lecture notes, section 1.2 "Long short-term memory RNNs".
    """

    cell_class = LSTMCell

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        cell = LSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="lstm_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            **kwargs,
        )
