"""The fast loop of `LSTM` and `SimpleRNN` against their cell run step by step.

`RecurrentLayer.inner_loop` runs `steps_per_iteration` steps per loop
iteration (the steps that do not fill one run before the loop), projects the
inputs of an iteration's steps at once, makes the outputs from the states after
the loop and, in training, back-propagates through each iteration by hand
(`training=True` below). The reference is `keras.layers.RNN` over the same cell
object (so the same weights), which calls `cell.call` once per step and is
differentiated by TensorFlow; outputs, final states and gradients must agree
to 1e-5, with and without masks, backwards, stateful, with initial states, and
with a length unknown until run time.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.layers import LSTM, SimpleRNN
from kerastoolkit.testing import check_saved_model_export

ATOL = 1e-5
STEPS = 11
LAYERS = {
    "lstm": lambda **options: LSTM(4, **options),
    "simple_rnn_output_map": lambda **options: SimpleRNN(
        4, output_units=3, output_activation="sigmoid", **options
    ),
}


def _data(batch=3, steps=STEPS, features=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, features)).astype("float32")
    mask = np.ones((batch, steps), bool)
    mask[0, 7:] = False  # padding at the end
    mask[1, 5] = False  # a gap
    mask[2, :3] = False  # padding at the start
    return x, mask


def _pair(kind, per_iteration, **options):
    layer = LAYERS[kind](**options)
    layer.steps_per_iteration = per_iteration
    reference = keras.layers.RNN(layer.cell, **options)
    return layer, reference


def _randomize(layer, seed=0):
    # Random biases too (they start at 0 or 1), so that every weight counts.
    rng = np.random.default_rng(seed)
    layer.set_weights([0.5 * rng.standard_normal(w.shape) for w in layer.get_weights()])


def _outputs_and_gradients(layer, *args, **kwargs):
    with tf.GradientTape() as tape:
        outputs = keras.tree.flatten(layer(*args, **kwargs))
        rng = np.random.default_rng(1)
        loss = sum(
            tf.reduce_sum(o * rng.standard_normal(o.shape).astype("float32"))
            for o in outputs
        )
    gradients = tape.gradient(loss, layer.trainable_weights)
    return outputs, gradients


def _assert_same(ours, reference):
    assert len(ours) == len(reference)
    for a, b in zip(ours, reference, strict=True):
        np.testing.assert_allclose(a, b, atol=ATOL)


def _compare(layer, reference, *args, **kwargs):
    kwargs.setdefault("training", True)
    layer(*args, **kwargs)
    _randomize(layer)
    outputs, gradients = _outputs_and_gradients(layer, *args, **kwargs)
    expected, expected_gradients = _outputs_and_gradients(reference, *args, **kwargs)
    _assert_same(outputs, expected)
    _assert_same(gradients, expected_gradients)
    return outputs


OPTIONS = {
    "last": ({}, False),
    "sequences_states": ({"return_sequences": True, "return_state": True}, False),
    "backwards": (
        {"return_sequences": True, "return_state": True, "go_backwards": True},
        False,
    ),
    "masked_sequences": ({"return_sequences": True, "return_state": True}, True),
    "masked_backwards": ({"return_sequences": True, "go_backwards": True}, True),
    "masked_last": ({"return_state": True}, True),
    "masked_zero_output": (
        {"return_sequences": True, "zero_output_for_mask": True},
        True,
    ),
    "masked_zero_output_last": ({"zero_output_for_mask": True}, True),
    "unrolled_masked": ({"return_sequences": True, "unroll": True}, True),
}


# 11 steps: 3 before the loop and 2 iterations of 4 (every option); 1 per
# iteration, or all 11 unrolled (more per iteration than there are steps), for
# the options that change what the loop carries.
CASES = [(4, options) for options in OPTIONS] + [
    (per_iteration, options)
    for per_iteration in (1, 16)
    for options in ("sequences_states", "masked_backwards", "masked_last")
]


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize(
    "per_iteration, options", CASES, ids=[f"{p}-{o}" for p, o in CASES]
)
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_fast_loop_matches_the_cell_step_by_step(
    kind, per_iteration, options, training
):
    rnn_options, masked = OPTIONS[options]
    x, mask = _data()
    layer, reference = _pair(kind, per_iteration, **rnn_options)
    _compare(layer, reference, x, mask=mask if masked else None, training=training)


@pytest.mark.parametrize(
    "layer_class, options, by_hand",
    [
        (LSTM, {"activation": "relu", "recurrent_activation": "hard_sigmoid"}, False),
        (SimpleRNN, {"activation": "softplus", "output_units": 2}, False),
        (SimpleRNN, {"activation": "relu", "use_bias": False}, True),
        (SimpleRNN, {"activation": None}, True),
    ],
    ids=["lstm_other_activations", "softplus", "relu_no_bias", "linear"],
)
def test_other_activations_in_training(layer_class, options, by_hand):
    # Activations without a hand-written derivative fall back to TensorFlow's
    # gradient of the same loop; relu and linear have one.
    x, mask = _data()
    layer = layer_class(4, return_sequences=True, return_state=True, **options)
    layer.steps_per_iteration = 4
    assert layer.cell.has_step_backward is by_hand
    reference = keras.layers.RNN(layer.cell, return_sequences=True, return_state=True)
    _compare(layer, reference, x, mask=mask)


@pytest.mark.parametrize("kind", LAYERS)
def test_masked_steps_keep_the_states_and_repeat_the_output(kind):
    x, mask = _data()
    layer, reference = _pair(kind, 4, return_sequences=True, return_state=True)
    outputs = _compare(layer, reference, x, mask=mask)
    sequence = keras.ops.convert_to_numpy(outputs[0])
    np.testing.assert_array_equal(sequence[0, 7:], sequence[0, 6:7].repeat(4, 0))
    np.testing.assert_array_equal(sequence[1, 5], sequence[1, 4])
    # Before the first step kept, the output is zeros (not the output map of
    # the initial state), as in keras.layers.RNN.
    np.testing.assert_array_equal(sequence[2, :3], 0.0)
    assert np.abs(sequence[2, 3]).min() > 0


@pytest.mark.parametrize("kind", LAYERS)
def test_initial_state_with_leading_masked_steps(kind):
    x, mask = _data()
    layer, reference = _pair(kind, 4, return_sequences=True, return_state=True)
    count = 2 if kind == "lstm" else 1
    states = [
        np.random.default_rng(i).standard_normal((3, 4)).astype("float32")
        for i in range(count)
    ]
    _compare(layer, reference, x, mask=mask, initial_state=states)
    # A sequence masked entirely keeps its initial states.
    outputs = layer(x, mask=np.zeros_like(mask), initial_state=states)
    np.testing.assert_array_equal(outputs[0], 0.0)
    for final, initial in zip(outputs[1:], states, strict=True):
        np.testing.assert_array_equal(final, initial)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_stateful_matches_the_cell_and_continues_the_sequence(kind, training):
    x, _ = _data(steps=2 * STEPS)
    layer, reference = _pair(kind, 4, stateful=True, return_sequences=True)
    layer(x[:, :STEPS])
    _randomize(layer)
    reference(x[:, :STEPS])
    layer.reset_state()
    reference.reset_state()
    halves = []
    for chunk in (x[:, :STEPS], x[:, STEPS:]):
        ours = layer(chunk, training=training)
        np.testing.assert_allclose(ours, reference(chunk), atol=ATOL)
        halves.append(ours)
    whole = type(layer).from_config({**layer.get_config(), "stateful": False})
    whole(x)
    whole.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.concatenate(halves, 1), whole(x), atol=ATOL)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_length_known_only_at_run_time(kind, go_backwards):
    # Inside a graph with `timesteps` unknown the layer loops one step at a
    # time; it must agree with the loop over known lengths and with the cell.
    x, mask = _data()
    options = {"return_sequences": True, "return_state": True}
    layer, reference = _pair(kind, 4, go_backwards=go_backwards, **options)
    _compare(layer, reference, x, mask=mask)
    sequences = keras.Input((None, 2))
    keep = keras.Input((None,), dtype="bool")
    model = keras.Model([sequences, keep], layer(sequences, mask=keep))
    reference_model = keras.Model([sequences, keep], reference(sequences, mask=keep))
    graph = tf.function(lambda inputs: model(inputs))
    assert graph.get_concrete_function(
        [tf.TensorSpec((None, None, 2)), tf.TensorSpec((None, None), tf.bool)]
    )
    for steps in (STEPS, 5):
        inputs = [x[:, :steps], mask[:, :steps]]
        _assert_same(
            keras.tree.flatten(graph(inputs)),
            keras.tree.flatten(reference_model(inputs)),
        )


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_bidirectional_with_mask_matches_the_cell(kind, training):
    x, mask = _data()
    layer, reference = _pair(kind, 4, return_sequences=True)
    ours = keras.layers.Bidirectional(layer)
    expected = keras.layers.Bidirectional(reference)
    ours(x, mask=mask)
    _randomize(ours)
    expected(x, mask=mask)
    expected.set_weights(ours.get_weights())
    outputs, gradients = _outputs_and_gradients(ours, x, mask=mask, training=training)
    expected_outputs, expected_gradients = _outputs_and_gradients(
        expected, x, mask=mask, training=training
    )
    _assert_same(outputs, expected_outputs)
    _assert_same(gradients, expected_gradients)
    assert ours.backward_layer.go_backwards


def test_saved_model_of_a_known_length_with_masking(tmp_path):
    # The loop over iterations of several steps, with a Masking layer, as the
    # served graph of a model built for one sequence length.
    x, _ = _data()
    x[0, 7:] = 0.0
    layer = LSTM(4, return_sequences=True)
    layer.steps_per_iteration = 4
    model = keras.Sequential(
        [keras.Input((STEPS, 2)), keras.layers.Masking(0.0), layer]
    )
    check_saved_model_export(model, x, tmp_path)
