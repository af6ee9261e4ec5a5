"""The dilated causal convolution of WaveNet, with a one-step form for generation."""

import keras
from keras import ops

from kerastoolkit.utils import argument_checks


@keras.saving.register_keras_serializable(package="kerastoolkit")
class CausalConv1D(keras.layers.Layer):
    """A dilated 1-D convolution whose output at `t` sees inputs up to `t` only.

    With kernel size `K`, dilation `d`, kernel `W` of shape
    `(K, in_channels, filters)` and bias `b`:

        y_t = b + sum_{j=0}^{K-1} x_{t - (K-1-j) d} W_j,     x_s = 0 for s < 1

    so `y_t` depends on `x_{t - (K-1) d}, ..., x_t` and never on a later
    input: the receptive field is `(K - 1) d + 1` steps. It is
    `keras.layers.Conv1D(padding="causal")`: the sequence is padded on the
    left with `(K - 1) d` zeros and convolved without padding.

    Generation runs one step at a time. `step` gives `y_t` from `x_t` and a
    queue holding the last `(K - 1) d` inputs, so a new step costs one
    `K in_channels x filters` product instead of a convolution over the whole
    window (the queue is the layer's cache of past activations).

    Args:
        filters: positive integer, the number of output channels.
        kernel_size: positive integer `K`, the number of taps.
        dilation_rate: positive integer `d`, the spacing between taps.
        use_bias: whether the layer adds a bias. Default `True`.
        kernel_initializer: initializer of `kernel`.
        bias_initializer: initializer of `bias`.
        kernel_regularizer: regularizer of `kernel`.
        bias_regularizer: regularizer of `bias`.
        kernel_constraint: constraint on `kernel`.
        bias_constraint: constraint on `bias`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a tensor of shape `(batch, timesteps, in_channels)`.

    Returns:
        A tensor of shape `(batch, timesteps, filters)`.

    Example:

    >>> conv = CausalConv1D(8, kernel_size=2, dilation_rate=4)
    >>> conv(np.zeros((3, 20, 5), "float32")).shape, conv.receptive_field
    (TensorShape([3, 20, 8]), 5)

    References:
        van den Oord et al., "WaveNet: A Generative Model for Raw Audio",
        arXiv:1609.03499, 2016.
        Paine et al., "Fast Wavenet Generation Algorithm", arXiv:1611.09482,
        2016 (the queues).
    """

    def __init__(
        self,
        filters,
        kernel_size,
        dilation_rate=1,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = argument_checks.positive_int("filters", filters)
        self.kernel_size = argument_checks.positive_int("kernel_size", kernel_size)
        self.dilation_rate = argument_checks.positive_int(
            "dilation_rate", dilation_rate
        )
        self.use_bias = argument_checks.boolean("use_bias", use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.input_spec = keras.InputSpec(ndim=3)

    @property
    def receptive_field(self):
        """How many steps `y_t` sees: `(kernel_size - 1) * dilation_rate + 1`."""
        return (self.kernel_size - 1) * self.dilation_rate + 1

    @property
    def queue_length(self):
        """How many past inputs `step` needs: `(kernel_size - 1) * dilation_rate`."""
        return self.receptive_field - 1

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("The number of input channels (last axis) must be known.")
        self.input_spec = keras.InputSpec(ndim=3, axes={-1: channels})
        self.kernel = self.add_weight(
            shape=(self.kernel_size, channels, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        else:
            self.bias = None

    def call(self, inputs):
        padded = ops.pad(inputs, [[0, 0], [self.queue_length, 0], [0, 0]])
        outputs = ops.conv(
            padded,
            self.kernel,
            strides=1,
            padding="valid",
            dilation_rate=self.dilation_rate,
        )
        if self.use_bias:
            outputs = outputs + self.bias
        return outputs

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def initial_queue(self, inputs):
        """The queue `step` needs after the sequence `inputs`.

        Args:
            inputs: a tensor of shape `(batch, timesteps, in_channels)`, the
                inputs seen so far (`timesteps` may be 0).

        Returns:
            The last `queue_length` steps of `inputs`, oldest first, with
            zeros in front when `timesteps < queue_length` (the causal
            padding), shape `(batch, queue_length, in_channels)`.
        """
        inputs = ops.convert_to_tensor(inputs)
        if not self.built:
            self.build(inputs.shape)
        padded = ops.pad(inputs, [[0, 0], [self.queue_length, 0], [0, 0]])
        start = ops.shape(padded)[1] - self.queue_length
        return padded[:, start:, :]

    def step(self, inputs, queue):
        """One step of the convolution from cached past inputs.

        Args:
            inputs: `x_t`, a tensor of shape `(batch, in_channels)`.
            queue: `x_{t - (K-1) d}, ..., x_{t-1}`, shape
                `(batch, queue_length, in_channels)` (from `initial_queue` or
                the previous `step`).

        Returns:
            `(y_t, new_queue)`: `y_t` of shape `(batch, filters)`, equal to
            the call's output at `t`, and the queue for step `t + 1`.
        """
        inputs = ops.cast(inputs, self.compute_dtype)
        if not self.built:
            self.build((None, None, inputs.shape[-1]))
        current = ops.expand_dims(inputs, 1)
        # The taps before t sit at queue positions 0, d, ..., (K-2) d.
        window = ops.concatenate(
            [queue[:, 0 : self.queue_length : self.dilation_rate, :], current], axis=1
        )
        kernel = ops.reshape(self.kernel, (-1, self.filters))
        flat = ops.reshape(window, (ops.shape(window)[0], -1))
        outputs = ops.matmul(flat, kernel)
        if self.use_bias:
            outputs = outputs + self.bias
        if self.queue_length == 0:
            return outputs, queue
        return outputs, ops.concatenate([queue[:, 1:, :], current], axis=1)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            dilation_rate=self.dilation_rate,
            use_bias=self.use_bias,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=keras.regularizers.serialize(self.bias_regularizer),
            kernel_constraint=keras.constraints.serialize(self.kernel_constraint),
            bias_constraint=keras.constraints.serialize(self.bias_constraint),
        )
        return config
