"""The basic RNN layer: `SimpleRNNCell` run over a whole sequence."""

import keras

from kerastoolkit.layers.recurrent_layer import RecurrentLayer
from kerastoolkit.layers.simple_rnn_cell import SimpleRNNCell


@keras.saving.register_keras_serializable(package="kerastoolkit")
class SimpleRNN(RecurrentLayer):
    """The basic RNN of the notes over a sequence, with an optional output map.

    For t = 1..T, starting from `z_0 = 0` (or `initial_state`):

        z_t = g_z(W_zz z_{t-1} + W_xz x_t + b_z)
        y_t = g_y(W_zy z_t + b_y)        (only with `output_units`)

    This is `keras.layers.RNN(SimpleRNNCell(...))` with the cell's arguments
    on the layer. Without `output_units` it is the same function, with the
    same weights, as `keras.layers.SimpleRNN`.

    Args:
        units: positive integer, the size of the hidden state `z`.
        activation: `g_z`. Default `"tanh"`.
        use_bias: whether `b_z` (and `b_y`) are used. Default `True`.
        output_units: positive integer, the size of `y_t`; `None` (default)
            means no output map, the layer outputs `z_t`.
        output_activation: `g_y`. Default `None` (linear).
        kernel_initializer: initializer of `kernel` and `output_kernel`.
        recurrent_initializer: initializer of `recurrent_kernel`.
        bias_initializer: initializer of `bias` and `output_bias`.
        kernel_regularizer: regularizer of `kernel` and `output_kernel`.
        recurrent_regularizer: regularizer of `recurrent_kernel`.
        bias_regularizer: regularizer of `bias` and `output_bias`.
        kernel_constraint: constraint on `kernel` and `output_kernel`.
        recurrent_constraint: constraint on `recurrent_kernel`.
        bias_constraint: constraint on `bias` and `output_bias`.
        return_sequences: return the outputs of every step, not the last only.
        return_state: also return the final state `z_T`.
        go_backwards: process the sequence from t = T down to 1 (and return
            the outputs in that order).
        stateful: carry the final state of one batch over as the initial
            state of the next (a fixed batch size is then required).
        unroll: unroll the time loop in the graph instead of a symbolic loop.
        **kwargs: further `keras.layers.RNN` and base layer arguments
            (`zero_output_for_mask`, `name`, `dtype`, `activity_regularizer`).

    Call arguments:
        sequences: a tensor of shape `(batch, timesteps, features)`.
        initial_state: optional `z_0` of shape `(batch, units)`.
        mask: optional boolean tensor `(batch, timesteps)`; where it is False
            the step is skipped and the state is carried over unchanged.
        training: Python boolean (passed to the cell).

    Returns:
        The last output, of shape `(batch, output_size)`, or all of them,
        `(batch, timesteps, output_size)`, with `return_sequences`
        (`output_size` is `output_units`, else `units`); with `return_state`,
        the list `[output, z_T]`.

    Example:

    >>> rnn = SimpleRNN(8, output_units=1, return_sequences=True)
    >>> rnn(np.zeros((2, 10, 3), "float32")).shape
    (2, 10, 1)

    References:
        Elman, "Finding structure in time", Cognitive Science 14, 1990.
        Lecture notes, section 1.1 "Training a basic RNN".
    """

    cell_class = SimpleRNNCell

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        output_units=None,
        output_activation=None,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
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
        cell = SimpleRNNCell(
            units,
            activation=activation,
            use_bias=use_bias,
            output_units=output_units,
            output_activation=output_activation,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell",
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
