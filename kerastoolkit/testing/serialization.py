"""Round trips for any serializable object, and for a compiled model's training
setup across a `.keras` file.

`check_config_roundtrip` needs model inputs; the checks here need none, so they
serve schedules, losses, optimizers, tokenizers and agents as well as layers.
"""

import copy
import inspect
import json

import keras
import numpy as np


def _normalised(config):
    # JSON turns tuples into lists, as saving to `.keras` does.
    return json.loads(json.dumps(config, sort_keys=True, default=repr))


def init_arguments(cls):
    """Names of `cls.__init__`'s named arguments that a config must hold.

    Keras's own classes (e.g. Functional) serialise their structure instead, so
    they have none to check.
    """
    if cls.__module__.split(".")[0] == "keras":
        return []
    parameters = inspect.signature(cls.__init__).parameters.values()
    return [
        p.name
        for p in parameters
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def check_init_arguments_in_config(obj, config):
    """Raises AssertionError naming the `__init__` arguments missing from `config`:
    `from_config` would silently fall back to their defaults."""
    missing = [name for name in init_arguments(type(obj)) if name not in config]
    if missing:
        raise AssertionError(
            f"{type(obj).__name__}.get_config() lacks the __init__ arguments "
            f"{missing}: from_config would silently fall back to their defaults."
        )


def check_serialization(obj):
    """Asserts `obj` survives `get_config` -> JSON -> `from_config`, and Keras's
    registered (de)serialisation, unchanged.

    Works for any object with `get_config`/`from_config` (layers, models,
    losses, schedules, optimizers, tokenizers, agents), like KerasHub's
    `run_serialization_test`. Checks that every named `__init__` argument is
    in the config, that the config is JSON-serialisable, that the rebuilt
    object has the same type and config, and that
    `keras.saving.deserialize_keras_object(serialize_keras_object(obj))` finds
    the class by its registered name.

    Args:
        obj: the object to check.

    Returns:
        The object rebuilt by `from_config`.
    """
    config = obj.get_config()
    check_init_arguments_in_config(obj, config)
    try:
        text = json.dumps(config, sort_keys=True)
    except TypeError as error:
        raise AssertionError(
            f"{type(obj).__name__}.get_config() is not JSON-serialisable: {error}"
        ) from error
    original = _normalised(config)
    # from_config may consume its argument (Functional does): give it a copy.
    rebuilt = type(obj).from_config(json.loads(text))
    if type(rebuilt) is not type(obj):
        raise AssertionError(
            f"{type(obj).__name__}.from_config built a {type(rebuilt).__name__}."
        )
    if _normalised(rebuilt.get_config()) != original:
        raise AssertionError(
            f"{type(obj).__name__}: config after from_config differs.\n"
            f"original: {original}\nrebuilt:  {_normalised(rebuilt.get_config())}"
        )
    serialized = keras.saving.serialize_keras_object(obj)
    json.dumps(serialized)
    try:
        restored = keras.saving.deserialize_keras_object(copy.deepcopy(serialized))
    except TypeError as error:
        restored = error
    if type(restored) is not type(obj):
        raise AssertionError(
            f"keras.saving.deserialize_keras_object gave {restored!r} for a "
            f"{type(obj).__name__}: is the class registered "
            "(keras.saving.register_keras_serializable)?"
        )
    if _normalised(restored.get_config()) != original:
        raise AssertionError(
            f"{type(obj).__name__}: config after Keras deserialisation differs."
        )
    return rebuilt


def _optimizer_state(optimizer):
    # In creation order: variable paths name the model's layers, which a
    # reloaded model may number differently.
    return [np.asarray(v) for v in optimizer.variables]


def _without_optimizer_name(compile_config):
    # An optimizer serialised anew takes a fresh unique name ("adam_3"): the
    # optimizer itself is compared below, name included.
    config = _normalised(compile_config)
    optimizer = config.get("optimizer")
    if isinstance(optimizer, dict):
        optimizer.get("config", {}).pop("name", None)
    return config


def check_compile_saving(model, tmp_path, *, x=None, y=None, rtol=1e-5):
    """Saves a compiled `model` to `.keras`, loads it (safe mode) and checks the
    training setup came back: the compile config (loss, metrics, ...), the
    optimizer's type, config and state (iterations, slots), and, given `x` and
    `y`, the same evaluation and the same next training step.

    Args:
        model: a compiled Keras model (trained for a step or more, so the
            optimizer's state is non-trivial).
        tmp_path: a directory for the file (`pathlib.Path`).
        x, y: optional data for `evaluate` and one `train_on_batch`.
        rtol: relative tolerance on losses and weights.

    Returns:
        The loaded model.
    """
    if not model.compiled:
        raise AssertionError(
            f"check_compile_saving needs a compiled model; {model.name} is not."
        )
    path = tmp_path / f"{type(model).__name__}_compiled.keras"
    expected = None
    if x is not None:
        expected = model.evaluate(x, y, return_dict=True, verbose=0)
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    if not loaded.compiled:
        raise AssertionError(f"{type(model).__name__}: reloaded model not compiled.")
    before = _without_optimizer_name(model.get_compile_config())
    after = _without_optimizer_name(loaded.get_compile_config())
    if _normalised(before) != _normalised(after):
        raise AssertionError(
            f"{type(model).__name__}: compile config differs after reload.\n"
            f"saved:  {_normalised(before)}\nloaded: {_normalised(after)}"
        )
    if type(loaded.optimizer) is not type(model.optimizer):
        raise AssertionError(
            f"optimizer came back as {type(loaded.optimizer).__name__}, saved as "
            f"{type(model.optimizer).__name__}"
        )
    if _normalised(loaded.optimizer.get_config()) != _normalised(
        model.optimizer.get_config()
    ):
        raise AssertionError(
            f"{type(model.optimizer).__name__}: optimizer config differs after "
            f"reload.\nsaved:  {_normalised(model.optimizer.get_config())}\n"
            f"loaded: {_normalised(loaded.optimizer.get_config())}"
        )
    saved_state = _optimizer_state(model.optimizer)
    loaded_state = _optimizer_state(loaded.optimizer)
    if [v.shape for v in saved_state] != [v.shape for v in loaded_state]:
        raise AssertionError(
            "optimizer variables differ after reload: saved shapes "
            f"{[v.shape for v in saved_state]}, loaded "
            f"{[v.shape for v in loaded_state]}"
        )
    for index, (saved, again) in enumerate(zip(saved_state, loaded_state, strict=True)):
        np.testing.assert_allclose(
            again,
            saved,
            rtol=rtol,
            err_msg=f"optimizer variable {model.optimizer.variables[index].path}",
        )
    if x is not None:
        got = loaded.evaluate(x, y, return_dict=True, verbose=0)
        for key, value in expected.items():
            np.testing.assert_allclose(got[key], value, rtol=rtol, err_msg=key)
        model.train_on_batch(x, y)
        loaded.train_on_batch(x, y)
        for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
            np.testing.assert_allclose(
                b, a, rtol=rtol, atol=1e-6, err_msg="weights after a training step"
            )
    return loaded
