"""Gradient checks: every weight learns, and custom maths matches finite differences."""

import keras
import numpy as np
import tensorflow as tf


def _projection_loss(outputs, seed=0):
    # A fixed random projection, not a plain sum: a sum of softmax outputs is
    # constant and would give zero gradients even for a correct layer.
    rng = np.random.default_rng(seed)
    total = 0.0
    for output in keras.tree.flatten(outputs):
        if not keras.backend.is_float_dtype(output.dtype):
            continue
        weights = rng.standard_normal(tuple(output.shape)).astype(output.dtype.name)
        total += tf.reduce_sum(output * weights)
    return total


def check_gradients(obj, inputs, *, loss_fn=None, training=True):
    """Asserts every trainable weight of `obj` gets a finite, non-zero gradient.

    Args:
        obj: a built (or buildable) Keras layer or model.
        inputs: numpy array, or structure of arrays, accepted by `obj`.
        loss_fn: optional `loss_fn(outputs) -> scalar`; by default a fixed random
            projection of every floating output.
        training: passed to the call when the layer accepts it.

    Returns:
        A dict from weight path to its gradient (numpy).
    """
    structure = keras.tree.map_structure(tf.convert_to_tensor, inputs)
    try:
        obj(structure, training=training)
        kwargs = {"training": training}
    except TypeError:
        kwargs = {}
    weights = obj.trainable_weights
    if not weights:
        # Nothing to learn (e.g. a sampling layer): vacuously true. Such layers
        # check their input gradients with `check_finite_differences`.
        return {}
    with tf.GradientTape() as tape:
        outputs = obj(structure, **kwargs)
        loss = (loss_fn or _projection_loss)(outputs)
    gradients = tape.gradient(loss, weights)
    result = {}
    for weight, gradient in zip(weights, gradients, strict=True):
        if gradient is None:
            raise AssertionError(
                f"Weight `{weight.path}` gets no gradient: it is not connected to "
                "the outputs."
            )
        gradient = tf.convert_to_tensor(gradient).numpy()
        if not np.all(np.isfinite(gradient)):
            raise AssertionError(f"Weight `{weight.path}` has a non-finite gradient.")
        if not np.any(gradient):
            raise AssertionError(f"Weight `{weight.path}` has an all-zero gradient.")
        result[weight.path] = gradient
    return result


def check_finite_differences(
    fn, variables, *, eps=1e-6, rtol=1e-5, atol=1e-8, max_entries=24, seed=0
):
    """Compares autodiff gradients of `fn()` with float64 central differences.

    `grad_numeric[j] = (fn(v + eps e_j) - fn(v - eps e_j)) / (2 eps)`, taken for
    at most `max_entries` randomly chosen entries of each variable.

    Args:
        fn: a function of no arguments returning a scalar computed from
            `variables`.
        variables: list of float64 `tf.Variable` or `keras.Variable`.
        eps: the finite-difference step.
        rtol: relative tolerance.
        atol: absolute tolerance.
        max_entries: how many entries of each variable to perturb.
        seed: which entries are chosen.
    """
    rng = np.random.default_rng(seed)
    for variable in variables:
        if np.dtype(keras.backend.standardize_dtype(variable.dtype)) != np.float64:
            raise ValueError(
                "`variables` must be float64 for a finite-difference check, got "
                f"{variable.dtype} for {getattr(variable, 'path', variable.name)}."
            )
    with tf.GradientTape() as tape:
        loss = fn()
    analytic = tape.gradient(loss, variables)
    for variable, gradient in zip(variables, analytic, strict=True):
        name = getattr(variable, "path", variable.name)
        if gradient is None:
            raise AssertionError(f"`{name}` gets no gradient from `fn`.")
        gradient = tf.convert_to_tensor(gradient).numpy()
        original = np.array(keras.ops.convert_to_numpy(variable))
        size = original.size
        chosen = rng.choice(size, size=min(size, max_entries), replace=False)
        numeric = np.empty(len(chosen))
        for k, flat_index in enumerate(chosen):
            index = np.unravel_index(flat_index, original.shape)
            values = []
            for sign in (1.0, -1.0):
                perturbed = original.copy()
                perturbed[index] += sign * eps
                variable.assign(perturbed)
                values.append(float(fn()))
            variable.assign(original)
            numeric[k] = (values[0] - values[1]) / (2 * eps)
        np.testing.assert_allclose(
            gradient.reshape(-1)[chosen],
            numeric,
            rtol=rtol,
            atol=atol,
            err_msg=f"autodiff and finite differences differ for `{name}`",
        )
