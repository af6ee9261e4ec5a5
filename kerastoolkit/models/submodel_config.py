"""How composite models put their sub-models into `get_config`."""

import keras


def serialize_submodel(model):
    """`keras.saving.serialize_keras_object(model)` without its build record.

    A functional model records the shape of its first call (batch size
    included) as `build_config`; a composite model's config should not change
    because its parts were called, and the functional structure rebuilds them
    anyway. The compile record is dropped too: the composite model compiles.
    """
    config = keras.saving.serialize_keras_object(model)
    config.pop("build_config", None)
    config.pop("compile_config", None)
    return config
