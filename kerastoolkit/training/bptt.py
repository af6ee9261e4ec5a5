"""Back-propagation through time written out by hand: the notes' recursion.

This module is a teaching artefact. Deep-learning libraries compute the
gradient of a recurrent network automatically; here it is computed step by
step, exactly as the lecture notes (section 1.1) derive it, in NumPy float64,
so that it can be read next to the equations and checked against
`tf.GradientTape` to 1e-8. It is not meant for training (see
`kerastoolkit.layers` and `model.fit` for that).

For the basic RNN with squared-error loss,

    z_t = g_z(in_{z,t}),     in_{z,t} = W_zz z_{t-1} + W_xz x_t + b_z
    yhat_t = g_y(in_{y,t}),  in_{y,t} = W_zy z_t + b_y
    L = sum_t (y_t - yhat_t)^2

the notes derive

    dL/dW_zz = sum_t -2 (y_t - yhat_t) g_y'(in_{y,t}) W_zy dz_t/dW_zz
    dz_t/dW_zz = g_z'(in_{z,t}) (z_{t-1} + W_zz dz_{t-1}/dW_zz)      (22.15)

The second line is a recursion forward in time: the sensitivity of the state
to the weights at step t follows from the one at step t-1, so one pass over
the sequence (in the "right ordering") gives every term of the sum. `W_xz`
and `b_z` follow the same recursion with `x_t` and `1` in place of `z_{t-1}`;
`W_zy` and `b_y` need no recursion.
"""

import keras
import numpy as np

# g'(a) for the activations whose derivative is written out here, as a
# function of the pre-activation `a` and the activation value `g(a)`.
_DERIVATIVES = {
    "linear": lambda a, g: np.ones_like(a),
    "tanh": lambda a, g: 1.0 - g**2,
    "sigmoid": lambda a, g: g * (1.0 - g),
    "relu": lambda a, g: (a > 0).astype(a.dtype),
}
_FUNCTIONS = {
    "linear": lambda a: a,
    "tanh": np.tanh,
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "relu": lambda a: np.maximum(a, 0.0),
}


def _activation_name(activation, argument):
    name = keras.activations.serialize(activation)
    if name not in _DERIVATIVES:
        raise ValueError(
            f"`{argument}` must be one of {sorted(_DERIVATIVES)} for the explicit "
            f"BPTT recursion, got {name!r}."
        )
    return name


def _numpy(weight):
    return (
        None
        if weight is None
        else keras.ops.convert_to_numpy(weight).astype(np.float64)
    )


def bptt_gradients(cell, inputs, targets, *, truncation=None, initial_state=None):
    """Gradients of the squared error of a basic RNN by the notes' recursion.

    Runs `cell` (a `kerastoolkit.layers.SimpleRNNCell`, or a
    `keras.layers.SimpleRNNCell`) over `inputs` in float64, with the loss

        L = sum over batch, t and output units of (y_t - yhat_t)^2

    where `yhat_t = g_y(W_zy z_t + b_y)` is the cell's output (`z_t` itself
    when the cell has no output map). The gradient of `W_zz` is

        dL/dW_zz = sum_t  e_t . S_t,   e_t = dL/dz_t through yhat_t only
                                          = -2 (y_t - yhat_t) g_y'(in_{y,t}) W_zy
        S_t = dz_t/dW_zz = g_z'(in_{z,t}) (z_{t-1} + W_zz S_{t-1}),  S_0 = 0

    and likewise for `W_xz` (with `x_t` for `z_{t-1}`) and `b_z` (with 1).
    `S_t` is the full Jacobian of the state with respect to the matrix (a
    `units x units x units` array per example), carried forward in time: this
    is the forward ("real-time recurrent learning") ordering of the same sum
    that reverse-mode BPTT evaluates backwards; both give the exact gradient.

    Truncated BPTT with window `k` (`truncation=k`): every loss term `L_t`
    back-propagates through at most `k` applications of the recurrence, that
    is, `z_{t-k}` is treated as a constant when differentiating `L_t`. In the
    recursion this means `S_t` is restarted from zero k steps back:

        S_t^(k) = g_z'(in_{z,t}) (z_{t-1} + W_zz S_{t-1}^(k-1)),  S^(0) = 0

    so `S_t^(1) = g_z'(in_{z,t}) z_{t-1}` keeps only the direct dependence.
    The forward pass (the values of `z_t`) is never truncated. It equals
    automatic differentiation of `sum_t L_t` where each `L_t` is computed from
    `stop_gradient(z_{t-k})` through the last k steps, and with `k >= T` it is
    full BPTT.

    The cell's mask, dropout or `go_backwards` play no part here: this is the
    plain recursion of the notes.

    Args:
        cell: a built or unbuilt `SimpleRNNCell` whose activations are among
            "linear", "tanh", "sigmoid" and "relu".
        inputs: array `(batch, timesteps, input_dim)`, the `x_t`.
        targets: array `(batch, timesteps, output_size)`, the `y_t`.
        truncation: `None` for full BPTT, or a positive integer `k`, the
            number of steps each loss term is back-propagated through.
        initial_state: optional array `(batch, units)`, `z_0` (zeros by
            default), a constant.

    Returns:
        `(loss, gradients)`: the float loss `L`, and a dict from weight name
        (`"kernel"`, `"recurrent_kernel"`, and `"bias"`, `"output_kernel"`,
        `"output_bias"` where the cell has them) to a float64 array of the
        weight's shape, in Keras's orientation (`kernel` is `W_xz^T`, so its
        gradient is the transpose of `dL/dW_xz`).

    Raises:
        ValueError: for shapes that do not fit the cell, an unsupported
            activation, or a `truncation` that is not a positive integer.

    Example:

    >>> cell = SimpleRNNCell(4, output_units=1, dtype="float64")
    >>> x, y = np.random.randn(2, 6, 3), np.random.randn(2, 6, 1)
    >>> loss, grads = bptt_gradients(cell, x, y)
    >>> grads["recurrent_kernel"].shape
    (4, 4)

    References:
        Lecture notes, section 1.1, equation (22.15).
        Williams and Zipser, "A learning algorithm for continually running
        fully recurrent neural networks", Neural Computation 1(2), 1989.
        Williams and Peng, "An efficient gradient-based algorithm for on-line
        training of recurrent network trajectories", Neural Computation 2(4),
        1990 (truncated BPTT).
    """
    if truncation is not None and (
        isinstance(truncation, bool)
        or not isinstance(truncation, (int, np.integer))
        or truncation < 1
    ):
        raise ValueError(
            f"`truncation` must be None or a positive integer, got {truncation!r}."
        )
    x = np.asarray(inputs, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(
            f"`inputs` must have shape (batch, timesteps, input_dim), got {x.shape}."
        )
    if not cell.built:
        cell.build((None, x.shape[-1]))
    kernel, recurrent = _numpy(cell.kernel), _numpy(cell.recurrent_kernel)
    bias = _numpy(cell.bias)
    output_kernel = _numpy(getattr(cell, "output_kernel", None))
    output_bias = _numpy(getattr(cell, "output_bias", None))
    if x.shape[-1] != kernel.shape[0]:
        raise ValueError(
            f"`inputs` has {x.shape[-1]} features, but the cell's kernel expects "
            f"{kernel.shape[0]}."
        )
    batch, steps, units = x.shape[0], x.shape[1], recurrent.shape[0]
    output_size = units if output_kernel is None else output_kernel.shape[1]
    if y.shape != (batch, steps, output_size):
        raise ValueError(
            f"`targets` must have shape {(batch, steps, output_size)}, got {y.shape}."
        )
    g_z = _activation_name(cell.activation, "activation")
    g_y = "linear"
    if output_kernel is not None:
        g_y = _activation_name(cell.output_activation, "output_activation")

    # Forward pass: in_{z,t}, z_t and yhat_t for every step (z[0] is z_0).
    z = np.zeros((steps + 1, batch, units))
    if initial_state is not None:
        z[0] = np.asarray(initial_state, dtype=np.float64)
    in_z = np.zeros((steps, batch, units))
    for t in range(steps):
        in_z[t] = x[:, t] @ kernel + z[t] @ recurrent
        if bias is not None:
            in_z[t] += bias
        z[t + 1] = _FUNCTIONS[g_z](in_z[t])
    dz_din = _DERIVATIVES[g_z](in_z, z[1:])  # g_z'(in_{z,t}), (steps, batch, units)
    if output_kernel is None:
        in_y, yhat = z[1:], z[1:]
    else:
        in_y = z[1:] @ output_kernel
        if output_bias is not None:
            in_y = in_y + output_bias
        yhat = _FUNCTIONS[g_y](in_y)
    y_time_major = np.swapaxes(y, 0, 1)
    loss = float(np.sum((y_time_major - yhat) ** 2))

    # The output layer: dL/din_{y,t} = -2 (y_t - yhat_t) g_y'(in_{y,t}).
    delta_y = -2.0 * (y_time_major - yhat) * _DERIVATIVES[g_y](in_y, yhat)
    output_gradients = {}
    if output_kernel is None:
        error = delta_y  # e_t = dL/dz_t through yhat_t = z_t only
    else:
        error = delta_y @ output_kernel.T
        output_gradients["output_kernel"] = np.einsum("tbk,tbj->kj", z[1:], delta_y)
        if output_bias is not None:
            output_gradients["output_bias"] = delta_y.sum(axis=(0, 1))

    # The recursion. For a weight P, S[b, k, ...] = dz_t[b, k] / dP[...], and
    # local[b, k, ...] = d in_{z,t}[b, k] / dP[...] holding z_{t-1} fixed. In
    # Keras's orientation in_{z,t}[k] = sum_i x_t[i] kernel[i, k] + ..., so the
    # local term of kernel[i, j] is delta_jk x_t[i]; of recurrent_kernel[i, j]
    # it is delta_jk z_{t-1}[i]; of bias[j] it is delta_jk.
    identity = np.eye(units)

    def local_terms(t):
        terms = {
            "kernel": np.einsum("bi,kj->bkij", x[:, t], identity),
            "recurrent_kernel": np.einsum("bi,kj->bkij", z[t], identity),
        }
        if bias is not None:
            terms["bias"] = np.broadcast_to(identity, (batch, units, units))
        return terms

    def advance(sensitivity, t):
        # S_t = g_z'(in_{z,t}) (local_t + W_zz S_{t-1}); in Keras's orientation
        # (W_zz S)[k] = sum_m recurrent_kernel[m, k] S[m].
        result = {}
        for name, local in local_terms(t).items():
            carried = np.einsum("mk,bm...->bk...", recurrent, sensitivity[name])
            gain = dz_din[t].reshape(dz_din[t].shape + (1,) * (local.ndim - 2))
            result[name] = gain * (local + carried)
        return result

    def zero_sensitivity():
        return {name: np.zeros_like(local) for name, local in local_terms(0).items()}

    gradients = {name: 0.0 for name in zero_sensitivity()}
    carried = zero_sensitivity()
    for t in range(steps):
        if truncation is None:
            sensitivity = carried = advance(carried, t)
        else:
            sensitivity = zero_sensitivity()
            for s in range(max(0, t - truncation + 1), t + 1):
                sensitivity = advance(sensitivity, s)
        for name, s_t in sensitivity.items():
            gradients[name] = gradients[name] + np.einsum(
                "bk,bk...->...", error[t], s_t
            )
    return loss, {**gradients, **output_gradients}
