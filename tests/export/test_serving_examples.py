"""Examples stored with an export are replayed in the TensorFlow-only process."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.export import export_saved_model
from kerastoolkit.export.serving_examples import EXAMPLES_DIR, load_serving_examples
from kerastoolkit.testing import check_serving_examples


def _model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2)(inputs))


def _endpoints(model):
    def scores(x):
        logits = model(x)
        return {"best": tf.argmax(logits, axis=-1), "logits": logits}

    def shout(text):
        return tf.strings.upper(text)

    return {
        "scores": (scores, [tf.TensorSpec((None, 3), tf.float32)]),
        "shout": (shout, [tf.TensorSpec((None,), tf.string)]),
    }


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = _model()
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    path = export_saved_model(
        model,
        tmp_path_factory.mktemp("served"),
        endpoints=_endpoints(model),
        examples={
            "serving_default": x,
            "scores": [x[:2]],
            "shout": np.array(["ein Hund läuft", "a dog"]),
        },
    )
    return path, model, x


def test_examples_store_the_in_process_answers(exported):
    path, model, x = exported
    imports, examples = load_serving_examples(path)
    assert imports == ()
    by_signature = {signature: (i, e) for signature, i, e in examples}
    np.testing.assert_allclose(
        by_signature["serving_default"][1]["output_0"], model(x), rtol=1e-6
    )
    assert sorted(by_signature["scores"][1]) == ["best", "logits"]
    assert list(by_signature["shout"][1]["output_0"]) == ["EIN HUND LäUFT", "A DOG"]


def test_examples_replay_in_the_tensorflow_only_process(exported):
    path, _, _ = exported
    assert check_serving_examples(path) == 3


def test_a_wrong_stored_answer_fails_the_check(exported, tmp_path):
    path, _, _ = exported
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(path, copy)
    stored = copy / EXAMPLES_DIR / "0.npz"
    with np.load(stored) as arrays:
        data = dict(arrays)
    data["output__output_0"] = data["output__output_0"] + 0.01
    np.savez(stored, **data)
    with pytest.raises(AssertionError, match="serving_default"):
        check_serving_examples(copy)


def test_examples_for_an_unknown_signature_are_rejected(tmp_path):
    model = _model()
    with pytest.raises(ValueError, match="unknown signatures \\['nope'\\]"):
        export_saved_model(model, tmp_path, examples={"nope": np.ones((1, 3))})
    assert not any(tmp_path.iterdir())  # nothing half-written is left
