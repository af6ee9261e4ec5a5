"""The in-graph input checks: messages, and order under Grappler's rewrites."""

import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.export import input_checks


def _served(function, specs, tmp_path):
    """`function` checked, saved and loaded back as a signature."""
    endpoint, named = input_checks.checked_endpoint(function, specs)
    module = tf.Module()
    module.f = tf.function(endpoint, input_signature=named, autograph=False)
    tf.saved_model.save(module, str(tmp_path), signatures={"serving_default": module.f})
    return tf.saved_model.load(str(tmp_path)).signatures["serving_default"]


# The signature declares `length` a scalar and each op needs one: Grappler
# folds a rank check on `length` itself to true (then the op fails with
# TensorFlow's own message), so the check must read a shape it cannot see.
DOWNSTREAM = {
    "stack": lambda length: tf.zeros(tf.stack([1, length])),
    "range": lambda length: tf.cast(tf.range(length), tf.float32),
    "uniform": lambda length: tf.random.stateless_uniform((1, length), seed=[1, 2]),
}


@pytest.mark.parametrize("name", sorted(DOWNSTREAM))
def test_rank_check_runs_before_ops_that_need_a_scalar(tmp_path, name):
    def generate(length):
        length = input_checks.check_size("length", length, 1, 100)
        return {"values": DOWNSTREAM[name](length)}

    served = _served(generate, [tf.TensorSpec((), tf.int32, name="length")], tmp_path)
    assert served(length=tf.constant(3))["values"].shape[-1] == 3
    with pytest.raises(tf.errors.InvalidArgumentError) as caught:
        served(length=tf.constant([5, 6]))
    assert "`length` must be a scalar, got shape [2]" in caught.value.message
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"got 101"):
        served(length=tf.constant(101))


def test_checked_endpoint_keeps_names_and_static_shapes():
    seen = {}

    def classify(images, labels):
        seen["shapes"] = (images.shape, labels.shape)
        return images

    specs = [
        tf.TensorSpec((None, 4, 3), tf.float32, name="images"),
        tf.TensorSpec((None,), tf.int32),
    ]
    endpoint, named = input_checks.checked_endpoint(classify, specs)
    assert [s.name for s in named] == ["images", "labels"]
    assert [s.shape.as_list() for s in named] == [[None, 4, 3], [None]]
    tf.function(endpoint, input_signature=named).get_concrete_function()
    assert [s.as_list() for s in seen["shapes"]] == [[None, 4, 3], [None]]


def test_keras_style_arguments_keep_tensorflow_names():
    specs = [[tf.TensorSpec((None, 2), tf.float32), tf.TensorSpec((None,), tf.int32)]]
    _, named = input_checks.checked_endpoint(lambda *args: args[0][0], specs)
    assert [s.name for s in named[0]] == ["args_0", "args_0_1"]


@pytest.mark.parametrize(
    "check, value, message",
    [
        (
            lambda x: input_checks.check_shape("x", x, (None, 3)),
            np.zeros((2, 4), "float32"),
            r"`x` must be a rank-2 tensor of shape \(\?, 3\), got shape \[2 4\]",
        ),
        (
            lambda x: input_checks.check_finite("x", x),
            np.array([1.0, np.inf, np.nan], "float32"),
            r"`x` must hold finite numbers \(no NaN or infinity\), got 2 non-finite",
        ),
        (
            lambda x: input_checks.check_range("x", x, 0, 9, "labels"),
            np.array([3, 10], "int32"),
            r"`x` must hold labels in \[0, 9\], got values from 3 to 10",
        ),
        (
            lambda x: input_checks.check_size("n", x, 1, 8, "max_n"),
            np.int32(9),
            r"`n` must be an integer in \[1, 8\] \(max_n=8 at export\), got 9",
        ),
        (
            lambda x: input_checks.check_length("x", x, 1, 4, "the order"),
            np.zeros((2, 3), "float32"),
            r"`x` must have length >= 4 along axis 1 \(the order\), got 3",
        ),
    ],
)
def test_each_check_names_the_input_and_what_is_allowed(check, value, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        check(tf.constant(value))


def test_checks_pass_good_values_through_unchanged():
    x = tf.constant([[1.0, 2.0, 3.0]])
    checked = input_checks.check_finite(
        "x", input_checks.check_shape("x", x, (None, 3))
    )
    np.testing.assert_array_equal(checked, x)
    empty = tf.zeros((0,), tf.int32)
    assert input_checks.check_range("x", empty, 0, 1).shape == (0,)
