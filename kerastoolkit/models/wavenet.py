"""WaveNet: a deep autoregressive model built from dilated causal convolutions."""

import math

import keras
from keras import ops

from kerastoolkit.layers.causal_conv1d import CausalConv1D
from kerastoolkit.utils import argument_checks

DISTRIBUTIONS = ("gaussian", "mixture", "categorical")
_LOG_2PI = math.log(2.0 * math.pi)


def _write(buffer, index, value):
    """`buffer[index] = value` inside a loop (a graph op, no Python indexing)."""
    return ops.scatter_update(
        buffer, ops.reshape(ops.cast(index, "int32"), (1, 1)), value[None]
    )


def _standard_normal(uniform):
    """Maps uniforms in (0, 1) to standard normals (inverse CDF)."""
    tiny = 1e-7
    return math.sqrt(2.0) * ops.erfinv(2.0 * ops.clip(uniform, tiny, 1.0 - tiny) - 1.0)


def sample_categorical(logits, uniform, temperature):
    """Draws a class from `softmax(logits / temperature)` by inverting its CDF.

    Args:
        logits: tensor of shape `(batch, classes)`.
        uniform: tensor of shape `(batch,)`, uniforms in [0, 1).
        temperature: scalar; at or below 0 the most likely class is taken.

    Returns:
        int32 class ids, shape `(batch,)`.
    """
    temperature = ops.cast(temperature, logits.dtype)
    scaled = logits / ops.maximum(temperature, ops.cast(1e-6, logits.dtype))
    cdf = ops.cumsum(ops.softmax(scaled, axis=-1), axis=-1)
    below = ops.cast(cdf < ops.cast(uniform, cdf.dtype)[:, None], "int32")
    drawn = ops.minimum(ops.sum(below, axis=-1), ops.shape(logits)[-1] - 1)
    greedy = ops.cast(ops.argmax(logits, axis=-1), "int32")
    return ops.where(temperature > 0, drawn, greedy)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class WaveNet(keras.Model):
    """A stack of gated, dilated causal convolutions with residual and skip paths.

    The model is autoregressive: its output at step `t` parameterises
    `P(x_{t+1} | x_1, ..., x_t)`, so training pairs are `(x_{1:T},
    x_{2:T+1})`. With `h^0` the embedded input (a learned vector per class,
    or a 1x1 convolution of real values) and layer `l = 1..L` of dilation
    `d_l`:

        a^l   = CausalConv_{K, d_l}(h^{l-1})                 (2C channels)
        z^l   = tanh(a^l_filter) * sigmoid(a^l_gate)          (gated unit)
        h^l   = h^{l-1} + W_res^l z^l                         (residual)
        skip  = sum_l W_skip^l z^l
        theta = W_out relu(W_hidden relu(skip) + b_hidden) + b_out

    The receptive field, `1 + sum_l (K - 1) d_l` steps, is `receptive_field`.
    `theta` parameterises one of three distributions:

    - `"gaussian"`: `x_{t+1} ~ N(mean, diag(exp(log_scale))^2)`, `theta =
      [mean (F), log_scale (F)]` for `F` features;
    - `"mixture"`: a mixture of `M` diagonal Gaussians, `theta = [logits (M),
      means (M F), log_scales (M F)]`;
    - `"categorical"`: `x_{t+1} ~ softmax(theta)` over `num_classes`; the
      inputs are then integer ids.

    With `compile(optimizer)` and no `loss`, the loss is the mean negative
    log-likelihood per step (nats), so `fit(x[:, :-1], x[:, 1:])` is maximum
    likelihood.

    Generation (`generate`) caches past activations: each causal
    convolution keeps a queue of its last `(K - 1) d` inputs, so a new step
    costs one step of each layer instead of a pass over the receptive field
    (`cached=False` recomputes the window, for reference). Randomness comes
    from uniform noise, one row per step, so a seed (or the noise itself)
    fixes the samples.

    Args:
        dilations: tuple of positive integers, one layer each, e.g.
            `(1, 2, 4, 8, 1, 2, 4, 8)`.
        kernel_size: positive integer `K`, taps per causal convolution.
        residual_channels: positive integer `C`, the width of the residual
            path (and of the gated units).
        skip_channels: positive integer, the width of the skip path and of
            the output head.
        distribution: `"gaussian"`, `"mixture"` or `"categorical"`.
        num_classes: number of classes (`"categorical"` only).
        num_mixtures: number of mixture components (`"mixture"` only).
        kernel_initializer: initializer of every kernel.
        **kwargs: base model arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: real values `(batch, timesteps, features)`, or integer ids
            `(batch, timesteps)` for `"categorical"`.

    Returns:
        The distribution parameters `theta` for the next step at every step,
        shape `(batch, timesteps, parameters)`.

    Example:

    >>> wavenet = WaveNet(dilations=(1, 2, 4), residual_channels=8, skip_channels=8)
    >>> wavenet(np.zeros((2, 30, 1), "float32")).shape, wavenet.receptive_field
    (TensorShape([2, 30, 2]), 8)

    References:
        van den Oord et al., "WaveNet: A Generative Model for Raw Audio",
        arXiv:1609.03499, 2016.
        Paine et al., "Fast Wavenet Generation Algorithm", arXiv:1611.09482,
        2016.
        Lecture notes, section 2.1.3 "Deep Regressive Model".
    """

    def __init__(
        self,
        dilations=(1, 2, 4, 8),
        kernel_size=2,
        residual_channels=32,
        skip_channels=32,
        distribution="gaussian",
        num_classes=None,
        num_mixtures=None,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(dilations, int) or not dilations:
            raise ValueError(
                f"`dilations` must be a non-empty tuple of positive integers, got "
                f"{dilations!r}."
            )
        self.dilations = tuple(
            argument_checks.positive_int("dilations", d) for d in dilations
        )
        self.kernel_size = argument_checks.positive_int("kernel_size", kernel_size)
        self.residual_channels = argument_checks.positive_int(
            "residual_channels", residual_channels
        )
        self.skip_channels = argument_checks.positive_int(
            "skip_channels", skip_channels
        )
        if distribution not in DISTRIBUTIONS:
            raise ValueError(
                f"`distribution` must be one of {DISTRIBUTIONS}, got {distribution!r}."
            )
        self.distribution = distribution
        if distribution == "categorical":
            self.num_classes = argument_checks.positive_int("num_classes", num_classes)
        elif num_classes is not None:
            raise ValueError(
                "`num_classes` is only for distribution='categorical', got "
                f"num_classes={num_classes!r} with distribution={distribution!r}."
            )
        else:
            self.num_classes = None
        if distribution == "mixture":
            self.num_mixtures = argument_checks.positive_int(
                "num_mixtures", num_mixtures
            )
        elif num_mixtures is not None:
            raise ValueError(
                "`num_mixtures` is only for distribution='mixture', got "
                f"num_mixtures={num_mixtures!r} with distribution={distribution!r}."
            )
        else:
            self.num_mixtures = None
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        initializer = self._initializer
        channels = self.residual_channels
        if self.distribution == "categorical":
            self.input_projection = keras.layers.Embedding(
                self.num_classes, channels, name="embedding"
            )
        else:
            self.input_projection = keras.layers.Dense(
                channels, kernel_initializer=initializer(), name="input_projection"
            )
        self.gated_convolutions = [
            CausalConv1D(
                2 * channels,
                self.kernel_size,
                dilation_rate=d,
                kernel_initializer=initializer(),
                name=f"gated_conv_{i}",
            )
            for i, d in enumerate(self.dilations)
        ]
        # The last layer's residual output would feed nothing: it has none.
        self.residual_projections = [
            keras.layers.Dense(
                channels, kernel_initializer=initializer(), name=f"residual_{i}"
            )
            for i in range(len(self.dilations) - 1)
        ]
        self.skip_projections = [
            keras.layers.Dense(
                self.skip_channels,
                kernel_initializer=initializer(),
                name=f"skip_{i}",
            )
            for i in range(len(self.dilations))
        ]
        self.output_hidden = keras.layers.Dense(
            self.skip_channels,
            activation="relu",
            kernel_initializer=initializer(),
            name="output_hidden",
        )
        # Its width depends on the number of features: made in `build`.
        self.output_projection = None
        self.features = None

    def _initializer(self):
        # A fresh copy per layer: one seeded initializer shared by every layer
        # would give them all the same weights.
        return keras.initializers.get(
            keras.initializers.serialize(self.kernel_initializer)
        )

    @property
    def receptive_field(self):
        """How many inputs each output sees: `1 + sum_l (K - 1) d_l`."""
        return 1 + sum((self.kernel_size - 1) * d for d in self.dilations)

    @property
    def num_parameters(self):
        """The size of `theta`, the last axis of the output (known once built)."""
        if self.distribution == "categorical":
            return self.num_classes
        if self.features is None:
            return None
        if self.distribution == "gaussian":
            return 2 * self.features
        return self.num_mixtures * (1 + 2 * self.features)

    @property
    def noise_dim(self):
        """Uniforms per generated step: 1 (class or component) and/or F (normals)."""
        if self.distribution == "categorical":
            return 1
        extra = 1 if self.distribution == "mixture" else 0
        return extra + self.features

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if self.distribution == "categorical":
            if len(input_shape) != 2:
                raise ValueError(
                    "A categorical WaveNet takes integer ids of shape (batch, "
                    f"timesteps), got shape {input_shape}."
                )
        else:
            if len(input_shape) != 3 or input_shape[-1] is None:
                raise ValueError(
                    f"A {self.distribution} WaveNet takes values of shape (batch, "
                    f"timesteps, features) with known features, got {input_shape}."
                )
            self.features = int(input_shape[-1])
        self.input_projection.build(input_shape)
        hidden = (None, None, self.residual_channels)
        for layer in self.gated_convolutions:
            layer.build(hidden)
        for layer in self.residual_projections:
            layer.build(hidden)
        for layer in self.skip_projections:
            layer.build(hidden)
        self.output_hidden.build((None, None, self.skip_channels))
        self.output_projection = keras.layers.Dense(
            self.num_parameters,
            kernel_initializer=self._initializer(),
            name="distribution_parameters",
        )
        self.output_projection.build((None, None, self.skip_channels))
        self.built = True

    def _embed(self, inputs):
        if self.distribution == "categorical":
            return self.input_projection(ops.cast(inputs, "int32"))
        return self.input_projection(ops.cast(inputs, self.compute_dtype))

    def _gate(self, activations):
        channels = self.residual_channels
        return ops.tanh(activations[..., :channels]) * ops.sigmoid(
            activations[..., channels:]
        )

    def _head(self, skips):
        # relu written as `maximum`: inside generation's while loop, TF 2.21's
        # oneDNN graph rewriter fails on a Relu of this sum of dense outputs
        # and logs errors (the results are right either way).
        return self.output_projection(self.output_hidden(ops.maximum(skips, 0.0)))

    def _run_stack(self, hidden, convolve):
        """Runs the gated layers; `convolve(i, layer, h)` applies conv `i`."""
        skips = 0.0
        for i, layer in enumerate(self.gated_convolutions):
            gated = self._gate(convolve(i, layer, hidden))
            skips = skips + self.skip_projections[i](gated)
            if i < len(self.residual_projections):
                hidden = hidden + self.residual_projections[i](gated)
        return self._head(skips)

    def call(self, inputs):
        return self._run_stack(self._embed(inputs), lambda i, layer, h: layer(h))

    def initial_cache(self, prompt):
        """Runs `prompt` once and returns what generation continues from.

        Args:
            prompt: inputs as for the call, at least one step long.

        Returns:
            `(parameters, cache)`: the distribution parameters for the step
            after the prompt, `(batch, parameters)`, and a tuple with one
            queue per causal convolution.
        """
        prompt = ops.convert_to_tensor(prompt)
        if not self.built:
            self.build(prompt.shape)
        queues = []

        def convolve(i, layer, hidden):
            queues.append(layer.initial_queue(hidden))
            return layer(hidden)

        parameters = self._run_stack(self._embed(prompt), convolve)
        return parameters[:, -1, :], tuple(queues)

    def step(self, inputs, cache):
        """One generation step from the cache.

        Args:
            inputs: `x_t`, ids `(batch,)` or values `(batch, features)`.
            cache: from `initial_cache` or the previous `step`.

        Returns:
            `(parameters, cache)`: the parameters of `P(x_{t+1} | x_{<=t})`,
            `(batch, parameters)`, and the updated cache.
        """
        queues = list(cache)

        def convolve(i, layer, hidden):
            outputs, queues[i] = layer.step(hidden, queues[i])
            return outputs

        parameters = self._run_stack(self._embed(inputs), convolve)
        return parameters, tuple(queues)

    def _split(self, parameters):
        f, m = self.features, self.num_mixtures
        if self.distribution == "gaussian":
            return parameters[..., :f], parameters[..., f:]
        logits = parameters[..., :m]
        shape = (*ops.shape(parameters)[:-1], m, f)
        means = ops.reshape(parameters[..., m : m + m * f], shape)
        log_scales = ops.reshape(parameters[..., m + m * f :], shape)
        return logits, means, log_scales

    def negative_log_likelihood(self, targets, parameters):
        """`-log P(x_{t+1} = targets | theta)` at every step (nats).

        Args:
            targets: the next values, `(batch, timesteps, features)`, or ids
                `(batch, timesteps)` for `"categorical"`.
            parameters: the model's output for the same steps.

        Returns:
            A tensor of shape `(batch, timesteps)`.
        """
        if self.distribution == "categorical":
            return ops.sparse_categorical_crossentropy(
                ops.cast(targets, "int32"), parameters, from_logits=True
            )
        targets = ops.cast(targets, parameters.dtype)
        if self.distribution == "gaussian":
            mean, log_scale = self._split(parameters)
            z = (targets - mean) * ops.exp(-log_scale)
            return ops.sum(0.5 * _LOG_2PI + log_scale + 0.5 * ops.square(z), axis=-1)
        logits, means, log_scales = self._split(parameters)
        z = (targets[..., None, :] - means) * ops.exp(-log_scales)
        component = -ops.sum(0.5 * _LOG_2PI + log_scales + 0.5 * ops.square(z), -1)
        return -ops.logsumexp(ops.log_softmax(logits, axis=-1) + component, axis=-1)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        if self.loss is not None:
            return super().compute_loss(x, y, y_pred, sample_weight, training)
        negative = self.negative_log_likelihood(y, y_pred)
        if sample_weight is not None:
            weight = ops.cast(sample_weight, negative.dtype)
            if len(weight.shape) == 1:
                weight = weight[:, None]
            negative = negative * weight
        loss = ops.mean(negative)
        if self.losses:
            loss = loss + ops.cast(ops.sum(self.losses), loss.dtype)
        return loss

    def mean(self, parameters):
        """The mean of `P(x_{t+1} | theta)` (real-valued distributions only).

        Args:
            parameters: the model's output, `(..., parameters)`.

        Returns:
            A tensor of shape `(..., features)`.
        """
        if self.distribution == "categorical":
            raise ValueError("A categorical WaveNet has no mean; use the logits.")
        if self.distribution == "gaussian":
            return self._split(parameters)[0]
        logits, means, _ = self._split(parameters)
        weights = ops.softmax(logits, axis=-1)[..., None]
        return ops.sum(weights * means, axis=-2)

    def sample_from(self, parameters, noise, temperature=1.0):
        """Draws `x_{t+1}` given `theta` and uniform noise.

        The temperature divides the class (or component) logits and
        multiplies the Gaussian scales; at 0 the draw is the most likely
        class, or the (most likely component's) mean.

        Args:
            parameters: `(batch, parameters)`.
            noise: uniforms in (0, 1), `(batch, noise_dim)`.
            temperature: non-negative scalar.

        Returns:
            ids `(batch,)` (int32) or values `(batch, features)`.
        """
        if self.distribution == "categorical":
            return sample_categorical(parameters, noise[:, 0], temperature)
        temperature = ops.cast(temperature, parameters.dtype)
        noise = ops.cast(noise, parameters.dtype)
        if self.distribution == "gaussian":
            mean, log_scale = self._split(parameters)
            normal = _standard_normal(noise)
        else:
            logits, means, log_scales = self._split(parameters)
            component = sample_categorical(logits, noise[:, 0], temperature)
            chosen = ops.one_hot(component, self.num_mixtures, dtype=means.dtype)
            mean = ops.sum(chosen[..., None] * means, axis=1)
            log_scale = ops.sum(chosen[..., None] * log_scales, axis=1)
            normal = _standard_normal(noise[:, 1:])
        return mean + temperature * ops.exp(log_scale) * normal

    def generate(self, prompt, length, temperature=1.0, seed=None, cached=True):
        """Continues `prompt` by `length` sampled steps.

        Args:
            prompt: inputs as for the call, at least one step long.
            length: positive integer, the number of steps to draw.
            temperature: as in `sample_from`.
            seed: integer seed, a `keras.random.SeedGenerator`, or `None`.
            cached: use the queues (fast) instead of recomputing the window.

        Returns:
            The new steps only: ids `(batch, length)` or values
            `(batch, length, features)`.
        """
        prompt = ops.convert_to_tensor(prompt)
        if not self.built:
            self.build(prompt.shape)
        noise = keras.random.uniform(
            (ops.shape(prompt)[0], length, self.noise_dim), seed=seed
        )
        return self.generate_from_noise(prompt, noise, temperature, cached=cached)

    def generate_from_noise(self, prompt, noise, temperature=1.0, cached=True):
        """`generate` with the uniform noise given, `(batch, length, noise_dim)`.

        The same prompt, noise and temperature give the same samples, cached
        or not, which is what makes generation testable and servable.
        """
        prompt = ops.convert_to_tensor(prompt)
        if not self.built:
            self.build(prompt.shape)
        noise = ops.convert_to_tensor(noise)
        if cached:
            return self._generate_cached(prompt, noise, temperature)
        return self._generate_naive(prompt, noise, temperature)

    def _generate_cached(self, prompt, noise, temperature):
        parameters, cache = self.initial_cache(prompt)
        length = ops.shape(noise)[1]
        categorical = self.distribution == "categorical"
        shape = (length, ops.shape(prompt)[0]) + (
            () if categorical else (self.features,)
        )
        samples = ops.zeros(shape, "int32" if categorical else parameters.dtype)

        def body(t, state):
            parameters, cache, samples = state
            drawn = self.sample_from(parameters, noise[:, t], temperature)
            parameters, cache = self.step(drawn, cache)
            return parameters, cache, _write(samples, t, drawn)

        _, _, samples = ops.fori_loop(0, length, body, (parameters, cache, samples))
        return ops.moveaxis(samples, 0, 1)

    def _generate_naive(self, prompt, noise, temperature):
        if self.distribution != "categorical":
            prompt = ops.cast(prompt, self.compute_dtype)
        sequence = prompt
        for t in range(noise.shape[1]):
            window = sequence[:, -self.receptive_field :]
            parameters = self(window)[:, -1, :]
            drawn = self.sample_from(parameters, noise[:, t], temperature)
            sequence = ops.concatenate(
                [sequence, ops.cast(drawn[:, None], sequence.dtype)], axis=1
            )
        return sequence[:, prompt.shape[1] :]

    def get_config(self):
        config = super().get_config()
        config.update(
            dilations=list(self.dilations),
            kernel_size=self.kernel_size,
            residual_channels=self.residual_channels,
            skip_channels=self.skip_channels,
            distribution=self.distribution,
            num_classes=self.num_classes,
            num_mixtures=self.num_mixtures,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
