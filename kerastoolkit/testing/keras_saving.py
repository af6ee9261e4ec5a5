"""Check that a `.keras` save and load gives back the same outputs."""

import keras

from kerastoolkit.testing.model_wrapping import (
    as_model,
    assert_outputs_close,
    call_layer,
)


def check_keras_saving(obj, inputs, tmp_path, *, atol=1e-6):
    """Saves `obj` to a `.keras` file, loads it (safe mode on) and compares outputs.

    Args:
        obj: a Keras layer (wrapped in a functional model) or model.
        inputs: numpy array, or structure of arrays, accepted by `obj`.
        tmp_path: a directory for the file (`pathlib.Path`).
        atol: absolute tolerance on the outputs.

    Returns:
        The loaded model.
    """
    model = as_model(obj, inputs)
    expected = call_layer(model, inputs)
    path = tmp_path / f"{type(obj).__name__}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert_outputs_close(
        expected, call_layer(loaded, inputs), atol=atol, what=".keras reload outputs"
    )
    return loaded
