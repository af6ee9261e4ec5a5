"""The shared base of the convenience layers `SimpleRNN` and `LSTM`."""

import inspect

import keras

from kerastoolkit.utils import argument_checks


def _cell_argument_names(cell_class):
    parameters = inspect.signature(cell_class.__init__).parameters.values()
    return tuple(
        p.name
        for p in parameters
        if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD
    )


class RecurrentLayer(keras.layers.RNN):
    """A `keras.layers.RNN` over one cell whose arguments are the layer's own.

    Subclasses set `cell_class` and, in `__init__`, build that cell from their
    arguments and pass it on with the `keras.layers.RNN` arguments
    (`return_sequences`, `return_state`, `go_backwards`, `stateful`, `unroll`).
    Every cell argument then reads as a layer attribute (`layer.units` is
    `layer.cell.units`), and `get_config` flattens the cell's arguments into
    the layer's config, as `keras.layers.LSTM` does, so `from_config` rebuilds
    the layer from its own signature (which is also what `Bidirectional`
    relies on to make the backward copy).
    """

    cell_class = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _cell_argument_names(cls.cell_class):
            setattr(
                cls,
                name,
                property(
                    lambda layer, name=name: getattr(layer.cell, name),
                    doc=f"The cell's `{name}`.",
                ),
            )

    def __init__(self, cell, **kwargs):
        super().__init__(cell, **kwargs)
        self.input_spec = keras.InputSpec(ndim=3)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        # Token ids or strings fed straight in are a common slip; say so here
        # rather than as a dtype error from inside the cell's loop.
        argument_checks.tensor_argument("sequences", sequences, ndim=3)
        return super().call(
            sequences, initial_state=initial_state, mask=mask, training=training
        )

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for name in _cell_argument_names(self.cell_class):
            config[name] = cell_config[name]
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
