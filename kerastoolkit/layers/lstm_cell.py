"""The long short-term memory cell of the lecture notes."""

import keras
from keras import ops

from kerastoolkit.layers.weight_options import (
    set_weight_options,
    weight_options_config,
)
from kerastoolkit.utils import argument_checks


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LSTMCell(keras.layers.Layer):
    """One time step of the LSTM of the notes (section 1.2).

    With `sigma` the recurrent activation (sigmoid) and `tanh` the activation:

        f_t = sigma(W_xf x_t + W_zf z_{t-1} + b_f)        forget gate
        i_t = sigma(W_xi x_t + W_zi z_{t-1} + b_i)        input gate
        o_t = sigma(W_xo x_t + W_zo z_{t-1} + b_o)        output gate
        c_t = c_{t-1} * f_t + i_t * tanh(W_xc x_t + W_zc z_{t-1} + b_c)
        z_t = tanh(c_t) * o_t

    (`*` is the element-wise product.) The notes leave the biases out; here
    they are on by default (`use_bias`) and `b_f` starts at 1
    (`unit_forget_bias`), so that the cell remembers by default.

    Weight layout: the same as `keras.layers.LSTMCell`, so weights copy
    between the two unchanged. The four gates share one fused matrix per
    input, in the column order i, f, c, o, acting on row vectors:

        kernel           = [W_xi^T | W_xf^T | W_xc^T | W_xo^T]  (input_dim, 4 units)
        recurrent_kernel = [W_zi^T | W_zf^T | W_zc^T | W_zo^T]  (units, 4 units)
        bias             = [b_i | b_f | b_c | b_o]              (4 units,)

    so a time step costs two matrix products, not eight.

    Args:
        units: positive integer, the size of `z` and of the memory cell `c`.
        activation: the activation of the candidate and of the cell output
            (`tanh` in the notes). Default `"tanh"`.
        recurrent_activation: the gate activation (`sigma` in the notes).
            Default `"sigmoid"`.
        use_bias: whether the gates have biases. Default `True`.
        kernel_initializer: initializer of `kernel`.
        recurrent_initializer: initializer of `recurrent_kernel`.
        bias_initializer: initializer of `bias`.
        unit_forget_bias: whether 1 is added to the initial forget-gate bias
            `b_f`. Default `True`.
        kernel_regularizer: regularizer of `kernel`.
        recurrent_regularizer: regularizer of `recurrent_kernel`.
        bias_regularizer: regularizer of `bias`.
        kernel_constraint: constraint on `kernel`.
        recurrent_constraint: constraint on `recurrent_kernel`.
        bias_constraint: constraint on `bias`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `x_t`, a tensor of shape `(batch, input_dim)`.
        states: the list `[z_{t-1}, c_{t-1}]`, each of shape `(batch, units)`.

    Returns:
        `(z_t, [z_t, c_t])`.

    Example:

    >>> rnn = keras.layers.RNN(LSTMCell(8), return_state=True)
    >>> z_last, z_state, c_state = rnn(np.zeros((2, 5, 4), "float32"))
    >>> z_last.shape, c_state.shape
    ((2, 8), (2, 8))

    References:
        Hochreiter and Schmidhuber, "Long short-term memory", Neural
        Computation 9(8), 1997.
        Gers, Schmidhuber and Cummins, "Learning to forget: continual
        prediction with LSTM", Neural Computation 12(10), 2000.
        Lecture notes, section 1.2 "Long short-term memory RNNs".
    """

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
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = argument_checks.positive_int("units", units)
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = argument_checks.boolean("use_bias", use_bias)
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
        self.unit_forget_bias = argument_checks.boolean(
            "unit_forget_bias", unit_forget_bias
        )
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def _initial_bias(self, shape, dtype=None):
        bias = self.bias_initializer(shape, dtype=dtype)
        if not self.unit_forget_bias:
            return bias
        units = self.units
        forget = ops.concatenate(
            [ops.zeros((units,)), ops.ones((units,)), ops.zeros((2 * units,))]
        )
        return bias + ops.cast(forget, bias.dtype)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], 4 * self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, 4 * self.units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(4 * self.units,),
                name="bias",
                initializer=self._initial_bias,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def project_inputs(self, inputs):
        """The input part of the gates, `x W_x^T + b`, for any leading shape.

        `LSTM` applies it to every time step at once, as one large matrix
        product before its loop, so that only `recurrent_step` runs per step.

        Args:
            inputs: a tensor of shape `(..., input_dim)`.

        Returns:
            A tensor of shape `(..., 4 units)`, the gates i, f, c, o without
            their recurrent part.
        """
        projected = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            projected = projected + self.bias
        return projected

    def recurrent_step(self, projected, states):
        """One step from the projected input: `[z_t, c_t]` from `[z_{t-1}, c_{t-1}]`.

        Args:
            projected: `project_inputs(x_t)`, of shape `(batch, 4 units)`.
            states: the list `[z_{t-1}, c_{t-1}]`.

        Returns:
            The list `[z_t, c_t]`.
        """
        new_states, _ = self.recurrent_step_and_backward(
            projected, states, self.recurrent_kernel
        )
        return new_states

    @property
    def has_step_backward(self):
        """Whether `recurrent_step_and_backward` can back-propagate by hand.

        It can with the notes' activations (`tanh` and `sigmoid`), whose
        derivatives it writes from their outputs.
        """
        return (
            self.activation is keras.activations.tanh
            and self.recurrent_activation is keras.activations.sigmoid
        )

    def recurrent_step_and_backward(self, projected, states, recurrent_kernel):
        """`recurrent_step`, and the function that back-propagates through it.

        With `a_t = [i_t | f_t | tanh(in_c) | o_t]` the activated gates and
        `g_t` their pre-activations (`projected + z_{t-1} W_z^T`), the step's
        gradients from `dz_t` and `dc_t` are

            dc    = dc_t + dz_t * o_t * (1 - tanh(c_t)^2)
            da    = [dc * tanh(in_c) | dc * c_{t-1} | dc * i_t | dz_t * tanh(c_t)]
            dg    = da * (1 - a_t) * (a_t + [0 | 0 | 1 | 0])
            dz_{t-1} = dg W_z,   dc_{t-1} = dc * f_t

        (the last factor of `dg` is `sigma' = a (1 - a)` on the three gates and
        `tanh' = (1 - a)(1 + a)` on the candidate).

        Args:
            projected: `project_inputs(x_t)`, of shape `(batch, 4 units)`.
            states: the list `[z_{t-1}, c_{t-1}]`.
            recurrent_kernel: the `recurrent_kernel` tensor (`W_z^T`).

        Returns:
            `([z_t, c_t], backward)`, where `backward(gradients,
            recurrent_kernel_transposed)` takes the gradients of `[z_t, c_t]`
            and returns `(dg, [dz_{t-1}, dc_{t-1}])`; it holds only when
            `has_step_backward`.
        """
        z_previous, c_previous = states[0], states[1]
        gates = projected + ops.matmul(z_previous, recurrent_kernel)
        i, f, candidate, o = ops.split(gates, 4, axis=-1)
        i = self.recurrent_activation(i)
        f = self.recurrent_activation(f)
        o = self.recurrent_activation(o)
        candidate = self.activation(candidate)
        c = c_previous * f + i * candidate
        cell_output = self.activation(c)
        z = cell_output * o

        def backward(gradients, recurrent_kernel_transposed):
            dz, dc = gradients
            dc = dc + dz * o * (1.0 - cell_output * cell_output)
            activated = ops.concatenate([i, f, candidate, o], axis=-1)
            d_activated = ops.concatenate(
                [dc * candidate, dc * c_previous, dc * i, dz * cell_output], axis=-1
            )
            units = self.units
            candidate_columns = ops.concatenate(
                [
                    ops.zeros((2 * units,), activated.dtype),
                    ops.ones((units,), activated.dtype),
                    ops.zeros((units,), activated.dtype),
                ]
            )
            derivative = (1.0 - activated) * (activated + candidate_columns)
            d_gates = d_activated * derivative
            return d_gates, [
                ops.matmul(d_gates, recurrent_kernel_transposed),
                dc * f,
            ]

        return [z, c], backward

    def output_from_state(self, z):
        """The cell's output from its first state: `z_t` itself."""
        return z

    def call(self, inputs, states):
        argument_checks.tensor_argument("inputs", inputs, ndim=2)
        z, c = self.recurrent_step(self.project_inputs(inputs), states)
        return z, [z, c]

    def get_config(self):
        config = super().get_config()
        config.update(weight_options_config(self))
        config.update(
            {
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "recurrent_activation": keras.activations.serialize(
                    self.recurrent_activation
                ),
                "use_bias": self.use_bias,
                "unit_forget_bias": self.unit_forget_bias,
            }
        )
        return config
