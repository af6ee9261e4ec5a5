"""CharLanguageModel: shared checks for both bodies, cached generation, the
string-in string-out `generate` SavedModel signature served without kerastoolkit."""

import keras
import numpy as np
import pytest
from keras import ops

from kerastoolkit.export import export_saved_model
from kerastoolkit.layers.lstm import LSTM
from kerastoolkit.models.char_language_model import CharLanguageModel
from kerastoolkit.models.wavenet import WaveNet
from kerastoolkit.testing import run_layer_checks, serving_process

VOCABULARY = "abcd \n"
BODIES = ["lstm", "wavenet"]


def _model(body, seed=0):
    keras.utils.set_random_seed(seed)
    return CharLanguageModel(
        VOCABULARY,
        body=body,
        embedding_dim=4,
        units=6,
        num_layers=2,
        dilations=(1, 2),
        residual_channels=4,
        skip_channels=4,
    )


def _ids(batch, steps, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, len(VOCABULARY) + 1, (batch, steps)).astype("int32")


def _sharpen(model, scale=5.0):
    """Scales every weight so that the draws depend on the context, not only on
    the noise (an untrained model is nearly uniform whatever it has seen)."""
    for weight in model.trainable_weights:
        weight.assign(scale * ops.convert_to_numpy(weight))


@pytest.mark.parametrize("body", BODIES)
def test_shared_checks(tmp_path, body):
    model = _model(body)
    run_layer_checks(model, _ids(2, 7), tmp_path, more_inputs=[_ids(3, 4, seed=1)])


def test_bodies_are_the_package_lstm_and_wavenet():
    lstm = _model("lstm")
    assert all(isinstance(layer, LSTM) for layer in lstm.recurrent_layers)
    assert len(lstm.recurrent_layers) == 2 and lstm.receptive_field is None
    wavenet = _model("wavenet")
    assert isinstance(wavenet.wavenet, WaveNet)
    assert wavenet.receptive_field == 4


@pytest.mark.parametrize("body", BODIES)
def test_cached_generation_equals_rerunning_the_model(body):
    model = _model(body, seed=1)
    model(_ids(1, 3))
    _sharpen(model)
    prompt = _ids(3, 5, seed=2)
    noise = np.random.default_rng(3).uniform(size=(3, 16)).astype("float32")
    cached = ops.convert_to_numpy(model.generate_from_noise(prompt, noise, 0.9))
    naive = ops.convert_to_numpy(
        model.generate_from_noise(prompt, noise, 0.9, cached=False)
    )
    assert cached.shape == (3, 16)
    np.testing.assert_array_equal(cached, naive)
    # The draws depend on the prompt, not only on the noise.
    other = model.generate_from_noise(prompt[:, ::-1], noise, 0.9)
    assert np.mean(cached != ops.convert_to_numpy(other)) > 0.1


@pytest.mark.parametrize("body", BODIES)
def test_served_generate_equals_generate_text(tmp_path, body):
    model = _model(body, seed=2)
    model(_ids(1, 3))
    _sharpen(model)
    path = export_saved_model(
        model, tmp_path / body, endpoints=model.serving_endpoints()
    )
    server = serving_process()
    # "z" is outside the vocabulary; an empty prompt starts from a newline.
    for prompt, length, temperature, seed in (
        ("ab c", 25, 0.8, 5),
        ("dz\nab", 9, 1.5, 6),
        ("", 7, 1.0, 7),
    ):
        (served,) = server.serve(
            path,
            {
                "prompt": np.asarray(prompt),
                "length": np.int32(length),
                "temperature": np.float32(temperature),
                "seed": np.int32(seed),
            },
            signature="generate",
        )
        text = served.item().decode("utf-8")
        assert len(text) == length and set(text) <= set(VOCABULARY)
        expected = model.generate_text(prompt or "\n", length, temperature, seed)
        assert text == expected


def test_temperature_zero_is_greedy_and_seed_free():
    model = _model("lstm", seed=3)
    model(_ids(1, 3))
    _sharpen(model)
    greedy = model.generate_text("abc", 12, temperature=0.0, seed=1)
    assert model.generate_text("abc", 12, temperature=0.0, seed=2) == greedy
    ids = list(model.encode("abc"))
    for _ in range(12):
        logits = ops.convert_to_numpy(model(np.asarray([ids])))[0, -1]
        ids.append(int(np.argmax(logits[1:])) + 1)
    assert model.decode(ids[3:]) == greedy


def test_the_unknown_character_is_never_drawn():
    model = _model("lstm", seed=4)
    model(_ids(1, 3))
    bias = ops.convert_to_numpy(model.classifier.bias)
    bias[0] = 20.0  # id 0 would take almost all the probability
    model.classifier.bias.assign(bias)
    drawn = ops.convert_to_numpy(model.generate(_ids(4, 3), 30, seed=0))
    assert drawn.min() >= 1


def test_encode_and_decode():
    model = _model("wavenet")
    ids = model.encode("bad\nz")
    np.testing.assert_array_equal(ids, [2, 1, 4, 6, 0])
    assert model.decode(ids) == "bad\n[UNK]"
    assert model.num_classes == len(VOCABULARY) + 1


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="single characters"):
        CharLanguageModel(["ab", "c"])
    with pytest.raises(ValueError, match="twice"):
        CharLanguageModel("abca")
    with pytest.raises(ValueError, match="`body` must be one of"):
        CharLanguageModel("abc", body="gru")
    with pytest.raises(ValueError, match="`units` must be a positive integer"):
        CharLanguageModel("abc", units=0)
    with pytest.raises(ValueError, match="non-empty string"):
        _model("lstm").generate_text("", 3)
