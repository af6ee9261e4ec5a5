"""With the same weights, LSTM and SimpleRNN match Keras's built-in layers to 1e-5.

Each case builds this package's layer (or its cell inside `keras.layers.RNN`)
and the Keras layer with the same arguments, copies random weights from the
Keras layer into ours (the layouts are the same, see `LSTMCell`) and compares
every output: sequences, final states, with masks, backwards, bidirectional,
stateful and with initial states.
"""

import keras
import numpy as np
import pytest

from kerastoolkit.layers import LSTM, LSTMCell, SimpleRNN, SimpleRNNCell

RNN_OPTIONS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")


def _in_keras_rnn(cell_class):
    def make(units, **kwargs):
        rnn_options = {k: kwargs.pop(k) for k in RNN_OPTIONS if k in kwargs}
        return keras.layers.RNN(cell_class(units, **kwargs), **rnn_options)

    return make


PAIRS = {
    "lstm": (LSTM, keras.layers.LSTM),
    "lstm_cell_in_rnn": (_in_keras_rnn(LSTMCell), keras.layers.LSTM),
    "simple_rnn": (SimpleRNN, keras.layers.SimpleRNN),
    "simple_rnn_cell_in_rnn": (_in_keras_rnn(SimpleRNNCell), keras.layers.SimpleRNN),
}
ATOL = 1e-5


def _data(batch=3, steps=6, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, features)).astype("float32")
    # Padding at the end, and a gap in the middle, as a Masking layer would give.
    mask = np.ones((batch, steps), bool)
    mask[0, 4:] = False
    mask[1, 2] = False
    return x, mask


def _paired(kind, **kwargs):
    ours_cls, keras_cls = PAIRS[kind]
    return ours_cls(3, **kwargs), keras_cls(3, **kwargs)


def _assert_same(ours, reference):
    ours, reference = keras.tree.flatten(ours), keras.tree.flatten(reference)
    assert len(ours) == len(reference)
    for a, b in zip(ours, reference, strict=True):
        np.testing.assert_allclose(a, b, atol=ATOL)


def _randomize(layer, seed=0):
    # Random biases too (Keras starts them at 0 or 1), so that every weight counts.
    rng = np.random.default_rng(seed)
    layer.set_weights([0.5 * rng.standard_normal(w.shape) for w in layer.get_weights()])


def _copy_and_compare(ours, reference, *args, **kwargs):
    reference(*args, **kwargs)
    _randomize(reference)
    expected = reference(*args, **kwargs)
    ours(*args, **kwargs)
    ours.set_weights(reference.get_weights())
    _assert_same(ours(*args, **kwargs), expected)


@pytest.mark.parametrize("kind", PAIRS)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"return_sequences": True, "return_state": True},
        {"return_sequences": True, "go_backwards": True},
        {"return_state": True, "unroll": True},
        {"use_bias": False, "activation": "relu"},
    ],
    ids=["last", "sequences_and_states", "backwards", "unrolled", "relu_no_bias"],
)
def test_outputs_match_keras(kind, options):
    x, _ = _data()
    _copy_and_compare(*_paired(kind, **options), x)


@pytest.mark.parametrize("kind", PAIRS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_masked_outputs_and_states_match_keras(kind, go_backwards):
    x, mask = _data()
    ours, reference = _paired(
        kind, return_sequences=True, return_state=True, go_backwards=go_backwards
    )
    _copy_and_compare(ours, reference, x, mask=mask)
    # The masked steps really are skipped: sample 0 stops changing after t=3.
    outputs = ours(x, mask=mask)
    sequence = keras.ops.convert_to_numpy(outputs[0])
    if not go_backwards:
        np.testing.assert_allclose(sequence[0, 4:], sequence[0, 3:4].repeat(2, 0))
        np.testing.assert_allclose(outputs[1][0], sequence[0, 3], atol=ATOL)


@pytest.mark.parametrize("kind", PAIRS)
def test_bidirectional_with_mask_matches_keras(kind):
    x, mask = _data()
    ours_layer, reference_layer = _paired(kind, return_sequences=True)
    ours = keras.layers.Bidirectional(ours_layer)
    reference = keras.layers.Bidirectional(reference_layer)
    _copy_and_compare(ours, reference, x, mask=mask)
    assert type(ours.backward_layer) is type(ours_layer)
    assert ours.backward_layer.go_backwards


@pytest.mark.parametrize("kind", PAIRS)
def test_initial_state_matches_keras(kind):
    x, _ = _data()
    ours, reference = _paired(kind, return_state=True)
    count = 2 if kind.startswith("lstm") else 1
    states = [
        np.random.default_rng(i).standard_normal((3, 3)).astype("float32")
        for i in range(count)
    ]
    _copy_and_compare(ours, reference, x, initial_state=states)


@pytest.mark.parametrize("kind", PAIRS)
def test_stateful_matches_keras_and_continues_the_sequence(kind):
    x, _ = _data(steps=8)
    ours, reference = _paired(kind, stateful=True, return_sequences=True)
    reference(x[:, :4])
    _randomize(reference)
    ours(x[:, :4])
    ours.set_weights(reference.get_weights())
    ours.reset_state()
    reference.reset_state()
    for chunk in (x[:, :4], x[:, 4:]):
        _assert_same(ours(chunk), reference(chunk))
    # Two stateful halves give the same outputs as one pass over the whole.
    whole = type(ours).from_config({**ours.get_config(), "stateful": False})
    whole(x)
    whole.set_weights(ours.get_weights())
    ours.reset_state()
    halves = np.concatenate([ours(x[:, :4]), ours(x[:, 4:])], axis=1)
    np.testing.assert_allclose(halves, whole(x), atol=ATOL)
