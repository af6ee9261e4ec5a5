"""The basic recurrent cell of the lecture notes, with an optional output map."""

import keras
from keras import ops

from kerastoolkit.layers.weight_options import (
    set_weight_options,
    weight_options_config,
)
from kerastoolkit.utils import argument_checks

# `g'(in) * upstream` written from the output `y = g(in)`, for the hidden
# activations whose derivative is a function of their output.
_DERIVATIVES_FROM_OUTPUT = {
    keras.activations.tanh: lambda upstream, y: upstream * (1.0 - y * y),
    keras.activations.sigmoid: lambda upstream, y: upstream * (y * (1.0 - y)),
    keras.activations.relu: lambda upstream, y: ops.where(
        y > 0, upstream, ops.zeros_like(upstream)
    ),
    keras.activations.linear: lambda upstream, y: upstream,
}


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

    def project_inputs(self, inputs):
        """The input part of `in_z`, `x W_xz^T + b_z`, for any leading shape.

        `SimpleRNN` applies it to every time step at once, as one large matrix
        product before its loop, so that only `recurrent_step` runs per step.

        Args:
            inputs: a tensor of shape `(..., input_dim)`.

        Returns:
            A tensor of shape `(..., units)`.
        """
        projected = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            projected = projected + self.bias
        return projected

    def recurrent_step(self, projected, states):
        """One step from the projected input: `[z_t]` from `[z_{t-1}]`.

        Args:
            projected: `project_inputs(x_t)`, of shape `(batch, units)`.
            states: a list with one tensor, `z_{t-1}`.

        Returns:
            The list `[z_t]`.
        """
        new_states, _ = self.recurrent_step_and_backward(
            projected, states, self.recurrent_kernel
        )
        return new_states

    @property
    def has_step_backward(self):
        """Whether `recurrent_step_and_backward` can back-propagate by hand.

        It can when `g_z` is `tanh`, `sigmoid`, `relu` or linear, whose
        derivatives it writes from their outputs.
        """
        return self.activation in _DERIVATIVES_FROM_OUTPUT

    def recurrent_step_and_backward(self, projected, states, recurrent_kernel):
        """`recurrent_step`, and the function that back-propagates through it.

        With `z_t = g_z(in_z)`, the step's gradients from `dz_t` are
        `d in_z = dz_t * g_z'(in_z)`, written from `z_t` (`1 - z^2` for
        `tanh`, `z (1 - z)` for `sigmoid`), and `dz_{t-1} = d in_z W_zz`.

        Args:
            projected: `project_inputs(x_t)`, of shape `(batch, units)`.
            states: a list with one tensor, `z_{t-1}`.
            recurrent_kernel: the `recurrent_kernel` tensor (`W_zz^T`).

        Returns:
            `([z_t], backward)`, where `backward(gradients,
            recurrent_kernel_transposed)` takes `[dz_t]` and returns
            `(d in_z, [dz_{t-1}])`; it holds only when `has_step_backward`.
        """
        z_previous = states[0] if isinstance(states, (list, tuple)) else states
        pre_activation = projected + ops.matmul(z_previous, recurrent_kernel)
        z = self.activation(pre_activation)

        def backward(gradients, recurrent_kernel_transposed):
            d_pre_activation = _DERIVATIVES_FROM_OUTPUT[self.activation](
                gradients[0], z
            )
            return d_pre_activation, [
                ops.matmul(d_pre_activation, recurrent_kernel_transposed)
            ]

        return [z], backward

    def output_from_state(self, z):
        """The cell's output from `z` of shape `(..., units)`: `y` or `z`.

        With an output map this is `g_y(z W_zy^T + b_y)`, which `SimpleRNN`
        applies to all the time steps at once, after its loop.
        """
        if self.output_kernel is None:
            return z
        output = ops.matmul(z, self.output_kernel)
        if self.output_bias is not None:
            output = output + self.output_bias
        return self.output_activation(output)

    def call(self, inputs, states):
        argument_checks.tensor_argument("inputs", inputs, ndim=2)
        (z,) = self.recurrent_step(self.project_inputs(inputs), states)
        return self.output_from_state(z), [z]

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
