"""The basic recurrent cell of the lecture notes, with an optional output map."""

import keras
from keras import ops

from kerastoolkit.layers.weight_options import (
    set_weight_options,
    weight_options_config,
)
from kerastoolkit.utils import argument_checks


@keras.saving.register_keras_serializable(package="kerastoolkit")
class SimpleRNNCell(keras.layers.Layer):
    """One time step of the basic RNN of the notes (section 1.1).

    The hidden state `z` and the optional output `y` are

        z_t = g_z(W_zz z_{t-1} + W_xz x_t + b_z) = g_z(in_{z,t})
        y_t = g_y(W_zy z_t + b_y)               = g_y(in_{y,t})

    In code the weights carry Keras's names and act on row vectors, so each is
    the transpose of the notes' matrix: `kernel` is `W_xz^T` (shape
    `(input_dim, units)`), `recurrent_kernel` is `W_zz^T` (`(units, units)`),
    `bias` is `b_z`, `output_kernel` is `W_zy^T` (`(units, output_units)`) and
    `output_bias` is `b_y`. Without `output_units` the cell has no output map
    and emits `z_t` itself, exactly like `keras.layers.SimpleRNNCell` (same
    weights, same layout).

    The cell processes one step; wrap it in `keras.layers.RNN`, or use
    `kerastoolkit.layers.SimpleRNN`, to run it over a sequence.
    `kerastoolkit.training.bptt.bptt_gradients` computes its gradients by the
    notes' explicit recursion.

    Args:
        units: positive integer, the size of the hidden state `z`.
        activation: `g_z`, the hidden activation. Default `"tanh"`.
        use_bias: whether `b_z` (and `b_y`) are used. Default `True`.
        output_units: positive integer, the size of the output `y_t`; `None`
            (default) means no output map, the cell emits `z_t`.
        output_activation: `g_y`, the output activation. Default `None`
            (linear). Only used with `output_units`.
        kernel_initializer: initializer of `kernel` and `output_kernel`.
        recurrent_initializer: initializer of `recurrent_kernel`.
        bias_initializer: initializer of `bias` and `output_bias`.
        kernel_regularizer: regularizer of `kernel` and `output_kernel`.
        recurrent_regularizer: regularizer of `recurrent_kernel`.
        bias_regularizer: regularizer of `bias` and `output_bias`.
        kernel_constraint: constraint on `kernel` and `output_kernel`.
        recurrent_constraint: constraint on `recurrent_kernel`.
        bias_constraint: constraint on `bias` and `output_bias`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `x_t`, a tensor of shape `(batch, input_dim)`.
        states: a list with one tensor `z_{t-1}` of shape `(batch, units)`.

    Returns:
        `(output, [z_t])`: `output` is `y_t` of shape `(batch, output_units)`
        with an output map, else `z_t` of shape `(batch, units)`.

    Example:

    >>> cell = SimpleRNNCell(8, output_units=3)
    >>> rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    >>> y, z_last = rnn(np.zeros((2, 5, 4), "float32"))
    >>> y.shape, z_last.shape
    ((2, 5, 3), (2, 8))

    References:
        Elman, "Finding structure in time", Cognitive Science 14, 1990.
        Lecture notes, section 1.1 "Training a basic RNN".
    """

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
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = argument_checks.positive_int("units", units)
        self.activation = keras.activations.get(activation)
        self.use_bias = argument_checks.boolean("use_bias", use_bias)
        self.output_units = (
            None
            if output_units is None
            else argument_checks.positive_int("output_units", output_units)
        )
        self.output_activation = keras.activations.get(output_activation)
        set_weight_options(
            self,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_initializer=recurrent_initializer,
            recurrent_regularizer=recurrent_regularizer,
            recurrent_constraint=recurrent_constraint,
            bias_initializer=bias_initializer,
            bias_regularizer=bias_regularizer,
            bias_constraint=bias_constraint,
        )
        self.state_size = self.units
        self.output_size = self.output_units or self.units

    def _add(self, name, shape, role):
        # `role` picks the settings: "kernel", "recurrent" or "bias".
        return self.add_weight(
            shape=shape,
            name=name,
            initializer=getattr(self, f"{role}_initializer"),
            regularizer=getattr(self, f"{role}_regularizer"),
            constraint=getattr(self, f"{role}_constraint"),
        )

    def build(self, input_shape):
        self.kernel = self._add("kernel", (input_shape[-1], self.units), "kernel")
        self.recurrent_kernel = self._add(
            "recurrent_kernel", (self.units, self.units), "recurrent"
        )
        self.bias = self._add("bias", (self.units,), "bias") if self.use_bias else None
        self.output_kernel = self.output_bias = None
        if self.output_units:
            self.output_kernel = self._add(
                "output_kernel", (self.units, self.output_units), "kernel"
            )
            if self.use_bias:
                self.output_bias = self._add(
                    "output_bias", (self.output_units,), "bias"
                )

    def call(self, inputs, states):
        argument_checks.tensor_argument("inputs", inputs, ndim=2)
        z_previous = states[0] if isinstance(states, (list, tuple)) else states
        pre_activation = ops.matmul(inputs, self.kernel) + ops.matmul(
            z_previous, self.recurrent_kernel
        )
        if self.bias is not None:
            pre_activation = pre_activation + self.bias
        z = self.activation(pre_activation)
        if self.output_kernel is None:
            return z, [z]
        output = ops.matmul(z, self.output_kernel)
        if self.output_bias is not None:
            output = output + self.output_bias
        return self.output_activation(output), [z]

    def get_config(self):
        config = super().get_config()
        config.update(weight_options_config(self))
        config.update(
            {
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "output_units": self.output_units,
                "output_activation": keras.activations.serialize(
                    self.output_activation
                ),
            }
        )
        return config
