"""Check that `get_config` -> `from_config` rebuilds an equivalent object."""

import copy
import inspect
import json

from kerastoolkit.testing.model_wrapping import assert_outputs_close, call_layer


def _normalised(config):
    # JSON turns tuples into lists, as saving to `.keras` does.
    return json.loads(json.dumps(config, sort_keys=True, default=repr))


def _init_arguments(cls):
    if cls.__module__.split(".")[0] == "keras":
        # Keras's own classes (e.g. Functional) serialise their structure instead.
        return []
    parameters = inspect.signature(cls.__init__).parameters.values()
    return [
        p.name
        for p in parameters
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def check_config_roundtrip(obj, inputs, *, atol=1e-6):
    """Asserts `type(obj).from_config(obj.get_config())` is the same object.

    Checks that every named `__init__` argument appears in the config, that the
    rebuilt object's config equals the original, and that with the original's
    weights copied in it gives the same outputs on `inputs`.

    Args:
        obj: a Keras layer or model, called at least once or buildable on `inputs`.
        inputs: numpy array, or structure of arrays, accepted by `obj`.
        atol: absolute tolerance on the outputs.

    Returns:
        The rebuilt object.
    """
    expected = call_layer(obj, inputs)
    config = obj.get_config()
    missing = [name for name in _init_arguments(type(obj)) if name not in config]
    if missing:
        raise AssertionError(
            f"{type(obj).__name__}.get_config() lacks the __init__ arguments "
            f"{missing}: from_config would silently fall back to their defaults."
        )
    original = _normalised(config)
    # from_config may consume its argument (Functional does): give it a copy.
    clone = type(obj).from_config(copy.deepcopy(config))
    rebuilt = _normalised(clone.get_config())
    if rebuilt != original:
        raise AssertionError(
            f"{type(obj).__name__}: config after from_config differs.\n"
            f"original: {original}\nrebuilt:  {rebuilt}"
        )
    call_layer(clone, inputs)
    clone.set_weights(obj.get_weights())
    assert_outputs_close(
        expected, call_layer(clone, inputs), atol=atol, what="from_config outputs"
    )
    return clone
