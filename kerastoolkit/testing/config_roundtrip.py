"""Check that `get_config` -> `from_config` rebuilds an equivalent object."""

import copy
import json

from kerastoolkit.testing.model_wrapping import assert_outputs_close, call_layer
from kerastoolkit.testing.serialization import check_init_arguments_in_config


def _normalised(config):
    # JSON turns tuples into lists, as saving to `.keras` does.
    return json.loads(json.dumps(config, sort_keys=True, default=repr))


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
    check_init_arguments_in_config(obj, config)
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
