"""Turn a layer or model plus example inputs into something the checks can run."""

import keras
import numpy as np


def to_numpy_list(outputs):
    """Flattens a (possibly nested) output structure into a list of numpy arrays."""
    return [
        np.asarray(keras.ops.convert_to_numpy(o)) for o in keras.tree.flatten(outputs)
    ]


def call_layer(obj, inputs, **kwargs):
    """Calls `obj` on numpy `inputs` (eagerly) and returns flat numpy outputs."""
    structure = keras.tree.map_structure(keras.ops.convert_to_tensor, inputs)
    return to_numpy_list(obj(structure, **kwargs))


def flexible_shapes(inputs, more_inputs=()):
    """Shapes of the flattened `inputs`, with `None` where they may vary.

    The batch axis is always `None`; any other axis is `None` when its size
    differs between `inputs` and one of `more_inputs`.

    Returns:
        A list with one `(shape, dtype)` pair per flattened input.
    """
    flat = keras.tree.flatten(inputs)
    others = [keras.tree.flatten(m) for m in more_inputs]
    result = []
    for position, array in enumerate(flat):
        array = np.asarray(array)
        shape = [None] + list(array.shape[1:])
        for other in others:
            other_shape = np.shape(other[position])
            if len(other_shape) != array.ndim:
                raise ValueError(
                    f"Input {position} of `more_inputs` has rank {len(other_shape)}, "
                    f"expected rank {array.ndim} like `inputs`."
                )
            for axis in range(1, array.ndim):
                if other_shape[axis] != array.shape[axis]:
                    shape[axis] = None
        result.append((tuple(shape), str(array.dtype)))
    return result


def as_model(obj, inputs, more_inputs=()):
    """Returns `obj` when it is a `keras.Model`, else wraps it in a functional one.

    A bare layer becomes a functional model whose inputs match `inputs` (with
    `None` for the batch axis and for axes that vary across `more_inputs`). A
    model is called once on `inputs` so that it is built.
    """
    if isinstance(obj, keras.Model):
        if not obj.built:
            call_layer(obj, inputs)
        return obj
    symbolic = [
        keras.Input(batch_shape=shape, dtype=dtype, name=f"input_{i}")
        for i, (shape, dtype) in enumerate(flexible_shapes(inputs, more_inputs))
    ]
    structure = keras.tree.pack_sequence_as(inputs, symbolic)
    return keras.Model(structure, obj(structure))


def assert_outputs_close(expected, actual, *, atol, rtol=0.0, what="outputs"):
    """Asserts two flat lists of arrays are equal within tolerance."""
    if len(expected) != len(actual):
        raise AssertionError(
            f"{what}: expected {len(expected)} output tensors, got {len(actual)}."
        )
    for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
        if e.shape != a.shape:
            raise AssertionError(
                f"{what}: output {index} has shape {a.shape}, expected {e.shape}."
            )
        np.testing.assert_allclose(
            a, e, atol=atol, rtol=rtol, err_msg=f"{what}: output {index} differs"
        )
