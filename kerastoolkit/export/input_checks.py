"""In-graph checks on what a client sends to an exported serving signature.

A served signature checks the dtypes of its inputs, nothing else: a loaded
SavedModel runs a `(40,)` tensor through a graph traced for `(None, None)`,
and NaNs, negative indices and a request for five million characters run
straight into the model. Each check here is a `tf.debugging.Assert` whose
message names the input, what is allowed and what came; the checked tensor
is returned with the assertion as a control dependency, so the model's work
starts only after the checks pass and a bad request fails at once with
`tf.errors.InvalidArgumentError`:

    assertion failed: [`steps` must be an integer in [1, 1000], got -3]

`checked_endpoint` wraps a whole endpoint with the checks every signature
needs: the rank and the fixed sizes of each input's spec, and finite values
for float inputs. The signature keeps its declared shapes (what
`saved_model_cli` and TF Serving's metadata show), but Grappler would fold a
rank test on such an input into a constant (it "knows" the rank from the
signature, or infers it from an op downstream that needs a scalar), so
`check_shape` reads the shape of the input passed through an `Optional`, whose
shape Grappler cannot see (no data is copied). The checks that need to know
what an input means (`check_range`, `check_size`, `check_length`) are called
by the endpoint functions themselves.
"""

import inspect

import keras
import tensorflow as tf


def _after(assertion, tensor):
    with tf.control_dependencies([assertion]):
        return tf.identity(tensor)


def _fail_unless(condition, message, *values):
    # `message` has one "{}" per value; the values are filled in the graph.
    if values:
        message = tf.strings.format(message, values, summarize=6)
    return tf.debugging.Assert(condition, [message])


def _shape_text(shape):
    if shape.rank == 0:
        return "a scalar"
    sizes = ", ".join("?" if size is None else str(size) for size in shape)
    return f"a rank-{shape.rank} tensor of shape ({sizes})"


def _runtime_shape(tensor):
    # The shape at run time, through an op pair that hides the static shape
    # from Grappler's shape inference and constant folding.
    optional = tf.raw_ops.OptionalFromValue(components=[tensor])
    (hidden,) = tf.raw_ops.OptionalGetValue(
        optional=optional,
        output_types=[tensor.dtype],
        output_shapes=[tf.TensorShape(None)],
    )
    return tf.shape(hidden)


def check_shape(name, tensor, shape):
    """Returns `tensor` once its rank and fixed sizes are those of `shape`.

    Args:
        name: the input's name in the signature, used in the message.
        tensor: the input.
        shape: the expected shape, `None` for a free size (e.g. the batch).

    Returns:
        `tensor`, with the static shape `shape`.
    """
    shape = tf.TensorShape(shape)
    if shape.rank is None:
        return tensor
    message = f"`{name}` must be {_shape_text(shape)}, got shape {{}}"
    actual = _runtime_shape(tensor)
    tensor = _after(
        _fail_unless(tf.equal(tf.size(actual), shape.rank), message, actual), tensor
    )
    fixed = [(axis, size) for axis, size in enumerate(shape) if size is not None]
    if fixed:
        # Read after the rank check passed: gathering these axes is safe.
        actual = _runtime_shape(tensor)
        axes, sizes = zip(*fixed, strict=True)
        same = tf.reduce_all(tf.equal(tf.gather(actual, axes), sizes))
        tensor = _after(_fail_unless(same, message, actual), tensor)
    tensor.set_shape(shape)
    return tensor


def check_finite(name, tensor):
    """Returns float `tensor` once it holds no NaN or infinity."""
    bad = tf.math.count_nonzero(~tf.math.is_finite(tensor))
    message = (
        f"`{name}` must hold finite numbers (no NaN or infinity), got {{}} "
        "non-finite values"
    )
    return _after(_fail_unless(tf.equal(bad, 0), message, bad), tensor)


def check_range(name, tensor, minimum, maximum, what="integers"):
    """Returns `tensor` once every value is in `[minimum, maximum]`.

    Args:
        name: the input's name, used in the message.
        tensor: a numeric tensor (e.g. word indices or labels).
        minimum: the smallest allowed value.
        maximum: the largest allowed value.
        what: what the values are, for the message ("word indices").
    """
    low, high = tf.reduce_min(tensor), tf.reduce_max(tensor)
    inside = tf.logical_or(
        tf.equal(tf.size(tensor), 0),
        tf.logical_and(low >= minimum, high <= maximum),
    )
    message = (
        f"`{name}` must hold {what} in [{minimum}, {maximum}], got values from "
        "{} to {}"
    )
    return _after(_fail_unless(inside, message, low, high), tensor)


def check_size(name, value, minimum, maximum, limit_name=None):
    """Returns the scalar size argument `value` once it is in `[minimum, maximum]`.

    Args:
        name: the argument's name (e.g. "length", "steps", "n").
        value: an integer scalar tensor.
        minimum: the smallest allowed value.
        maximum: the cap, documented by the endpoint.
        limit_name: the export argument that set `maximum` (e.g. "max_length"),
            named in the message so the reader knows where the cap comes from.
    """
    source = f" ({limit_name}={maximum} at export)" if limit_name else ""
    message = f"`{name}` must be an integer in [{minimum}, {maximum}]{source}, got {{}}"
    inside = tf.logical_and(value >= minimum, value <= maximum)
    return _after(_fail_unless(inside, message, value), value)


def check_length(name, tensor, axis, minimum, reason=""):
    """Returns `tensor` once its size along `axis` is at least `minimum`.

    Args:
        name: the input's name.
        tensor: the input.
        axis: the axis to measure (e.g. 1, the time axis).
        minimum: the smallest allowed size.
        reason: why, for the message (e.g. "the AR order").
    """
    length = _runtime_shape(tensor)[axis]
    why = f" ({reason})" if reason else ""
    message = f"`{name}` must have length >= {minimum} along axis {axis}{why}, got {{}}"
    return _after(_fail_unless(length >= minimum, message, length), tensor)


def _tensor_spec(spec):
    from keras.src.export.export_utils import make_tf_tensor_spec

    return make_tf_tensor_spec(spec)


def _argument_names(function, input_signature):
    """The names TensorFlow gives the flattened inputs of `function`.

    A named spec keeps its name; otherwise an argument is named after the
    Python parameter (`args_0` for a `*args` function such as a Keras
    model's call), and the parts of a nested argument get `_1`, `_2`, ...
    """
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = []
    for index, argument in enumerate(input_signature):
        base = f"args_{index}"
        if index < len(parameters):
            parameter = parameters[index]
            if parameter.kind == parameter.VAR_POSITIONAL:
                base = f"{parameter.name}_0"
            elif parameter.kind == parameter.POSITIONAL_OR_KEYWORD:
                base = parameter.name
        elif parameters and parameters[-1].kind == parameters[-1].VAR_POSITIONAL:
            base = f"{parameters[-1].name}_{index - len(parameters) + 1}"
        for part, spec in enumerate(keras.tree.flatten(argument)):
            names.append(spec.name or (base if part == 0 else f"{base}_{part}"))
    return names


def checked_endpoint(function, input_signature):
    """`function` with the rank, size and finiteness of its inputs checked.

    Args:
        function: the endpoint's Python function (or a Keras model).
        input_signature: its list of input specs (`tf.TensorSpec` or
            `keras.InputSpec`, possibly nested).

    Returns:
        `(endpoint, signature)`: the checking function and the signature to
        trace it with: `tf.TensorSpec`s with the same shapes and dtypes, each
        named (as TensorFlow would name it when the spec is not). Each input
        gets `check_shape` against its spec, and `check_finite` when it is a
        float.
    """
    specs = keras.tree.map_structure(_tensor_spec, list(input_signature))
    names = _argument_names(function, specs)
    flat_specs = keras.tree.flatten(specs)
    named = keras.tree.pack_sequence_as(
        specs,
        [
            tf.TensorSpec(spec.shape, spec.dtype, name=name)
            for spec, name in zip(flat_specs, names, strict=True)
        ],
    )

    def endpoint(*args):
        checked = []
        for name, spec, value in zip(
            names, flat_specs, keras.tree.flatten(args), strict=True
        ):
            value = check_shape(name, value, spec.shape)
            if spec.dtype.is_floating:
                value = check_finite(name, value)
            checked.append(value)
        return function(*keras.tree.pack_sequence_as(args, checked))

    return endpoint, named
