"""The initializer, regularizer and constraint options of a recurrent cell's weights.

Both cells take `{kernel,recurrent,bias}_{initializer,regularizer,constraint}`;
these two functions store them (resolved by Keras) and serialize them, so the
nine options are spelled once.
"""

import keras

_KINDS = {
    "initializer": keras.initializers,
    "regularizer": keras.regularizers,
    "constraint": keras.constraints,
}
_ROLES = ("kernel", "recurrent", "bias")


def _names():
    return [
        (f"{role}_{kind}", module) for role in _ROLES for kind, module in _KINDS.items()
    ]


def set_weight_options(layer, **options):
    """Sets `layer.<role>_<kind>` from `options`, resolved with `keras.<kind>s.get`."""
    for name, module in _names():
        setattr(layer, name, module.get(options[name]))


def weight_options_config(layer):
    """The nine options of `layer`, serialized for `get_config`."""
    return {name: module.serialize(getattr(layer, name)) for name, module in _names()}
