"""The shared base of the convenience layers `SimpleRNN` and `LSTM`."""

import inspect

import keras
from keras import ops

# `keras.layers.RNN` runs its loop with the backend's `rnn` (a while loop over
# TensorArrays on TensorFlow, `lax.scan` on JAX); it has no public name, so the
# fast loop below calls it where `keras.layers.RNN.inner_loop` does.
from keras.src import backend as keras_backend

from kerastoolkit.utils import argument_checks


def _cell_argument_names(cell_class):
    parameters = inspect.signature(cell_class.__init__).parameters.values()
    return tuple(
        p.name
        for p in parameters
        if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD
    )


def _keep(keep, new, old):
    return [ops.where(keep, n, o) for n, o in zip(new, old, strict=True)]


def _run_steps(cell, projected_steps, mask_steps, states):
    """`cell.recurrent_step` over a list of steps; masked steps keep the states.

    Returns the first state after each step and the final states.
    """
    firsts = []
    for index, projected in enumerate(projected_steps):
        new_states = cell.recurrent_step(projected, states)
        if mask_steps is not None:
            new_states = _keep(mask_steps[index], new_states, states)
        states = list(new_states)
        firsts.append(states[0])
    return firsts, states


def _steps_with_backward(cell, count, return_sequences, weights):
    """`count` steps as one function whose gradient is written by hand.

    The function maps time-major `inputs` `(count, batch, features)`, a mask
    `(count, batch, 1)` or None, and the states to the stacked first states (with
    `return_sequences`) and the new states, exactly as `_run_steps` does after
    projecting the inputs. Its gradient runs the cell's step backwards
    (`cell.recurrent_step_and_backward`) and then takes the gradients of the
    weights for all `count` steps at once: with `dG` the gate gradients and
    `Z` the previous first states, stacked over the steps,

        d recurrent_kernel = Z^T dG,  d kernel = X^T dG,  d bias = sum of dG,

    three large matrix products in place of `count` small ones each.
    `weights` holds `(kernel, recurrent_kernel, bias or None,
    recurrent_kernel^T, kernel^T)` as tensors.
    """
    kernel, recurrent_kernel, bias, recurrent_kernel_t, kernel_t = weights
    has_bias = bias is not None

    def run(inputs, mask, states):
        features = inputs.shape[-1]
        state_count = len(states)

        @ops.custom_gradient
        def steps(inputs, *arguments):
            states = list(arguments[:state_count])
            kernel, recurrent_kernel = arguments[state_count : state_count + 2]
            bias = arguments[state_count + 2] if has_bias else None
            flat_inputs = ops.reshape(inputs, (-1, features))
            projected = ops.matmul(flat_inputs, kernel)
            if bias is not None:
                projected = projected + bias
            projected = ops.reshape(projected, (count, -1, projected.shape[-1]))
            keeps = [None] * count if mask is None else ops.unstack(mask, num=count)
            firsts, previous_firsts, backwards = [], [], []
            for projected_step, keep in zip(
                ops.unstack(projected, num=count), keeps, strict=True
            ):
                new_states, backward = cell.recurrent_step_and_backward(
                    projected_step, states, recurrent_kernel
                )
                if keep is not None:
                    new_states = _keep(keep, new_states, states)
                previous_firsts.append(states[0])
                backwards.append(backward)
                states = list(new_states)
                firsts.append(states[0])
            outputs = ([ops.stack(firsts)] if return_sequences else []) + states

            def gradient(*upstream):
                upstream = [
                    ops.zeros_like(o) if u is None else u
                    for u, o in zip(upstream, outputs, strict=True)
                ]
                d_states = upstream[-state_count:]
                d_firsts = None
                if return_sequences:
                    d_firsts = ops.unstack(upstream[0], num=count)
                d_gates = []
                for index in reversed(range(count)):
                    if d_firsts is not None:
                        d_states[0] = d_states[0] + d_firsts[index]
                    keep = keeps[index]
                    if keep is not None:
                        # A masked step passes the gradients through unchanged.
                        passed = [
                            ops.where(keep, ops.zeros_like(d), d) for d in d_states
                        ]
                        d_states = [
                            d - p for d, p in zip(d_states, passed, strict=True)
                        ]
                    d_step, d_states = backwards[index](d_states, recurrent_kernel_t)
                    if keep is not None:
                        d_states = [
                            d + p for d, p in zip(d_states, passed, strict=True)
                        ]
                    d_gates.append(d_step)
                d_gates = ops.concatenate(d_gates[::-1], axis=0)
                previous = ops.concatenate(previous_firsts, axis=0)
                d_weights = [
                    ops.matmul(ops.transpose(flat_inputs), d_gates),
                    ops.matmul(ops.transpose(previous), d_gates),
                ]
                if has_bias:
                    d_weights.append(ops.sum(d_gates, axis=0))
                d_inputs = ops.reshape(
                    ops.matmul(d_gates, kernel_t), (count, -1, features)
                )
                return [d_inputs, *d_states, *d_weights]

            return tuple(outputs), gradient

        arguments = [inputs, *states, kernel, recurrent_kernel]
        if has_bias:
            arguments.append(bias)
        outputs = list(steps(*arguments))
        if return_sequences:
            return outputs[0], outputs[1:]
        return None, outputs

    return run


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
    # Time steps unrolled inside one iteration of the loop (see `inner_loop`).
    steps_per_iteration = 8

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

    def inner_loop(self, sequences, initial_state, mask, training=False):
        # The steps of `keras.layers.RNN` over the cell, arranged for speed:
        # - the loop is time-major and runs `steps_per_iteration` steps per
        #   iteration, which divides the loop's own cost per iteration;
        # - the input part of the gates, `x_t W_x^T + b`, is one matrix product
        #   per iteration (`cell.project_inputs`), not one per step;
        # - in training, with the notes' activations, each iteration has a
        #   hand-written gradient (`_steps_with_backward`) whose weight
        #   gradients are one large matrix product per iteration;
        # - the outputs are made from the states after the loop
        #   (`cell.output_from_state`), and the masking rule of
        #   `keras.layers.RNN` is applied once to the whole sequence.
        if keras.tree.is_nested(mask):
            mask = mask[0]
        if mask is not None:
            mask = ops.cast(mask, "bool")
        if self.go_backwards:
            sequences = ops.flip(sequences, axis=1)
            mask = None if mask is None else ops.flip(mask, axis=1)
        states = list(initial_state)
        if sequences.shape[1] is None:
            firsts, states = self._dynamic_loop(sequences, states, mask)
        else:
            firsts, states = self._static_loop(sequences, states, mask, training)
        if not self.return_sequences:
            last_output = self.cell.output_from_state(states[0])
            if mask is not None:
                keep = mask[:, -1] if self.zero_output_for_mask else ops.any(mask, 1)
                last_output = ops.where(
                    keep[:, None], last_output, ops.zeros_like(last_output)
                )
            return last_output, last_output[:, None], states
        outputs = self.cell.output_from_state(firsts)
        if mask is not None:
            # A masked step repeats the previous output, zeros before the first
            # step kept (or zeros at every masked step, `zero_output_for_mask`).
            keep = mask
            if not self.zero_output_for_mask:
                keep = ops.cumsum(ops.cast(mask, "int32"), axis=1) > 0
            outputs = ops.where(keep[:, :, None], outputs, ops.zeros_like(outputs))
        return outputs[:, -1], outputs, states

    def _steps_function(self, features, training):
        # `run(inputs, mask, states) -> (stacked firsts or None, states)` for
        # `count` time-major steps.
        cell = self.cell
        if training and cell.has_step_backward:
            # Read once (`copy`), so that the function with the hand-written
            # gradient takes tensors, not variables.
            weights = [
                None if w is None else ops.copy(w)
                for w in (cell.kernel, cell.recurrent_kernel, cell.bias)
            ]
            weights += [ops.transpose(weights[1]), ops.transpose(weights[0])]
            return lambda count: _steps_with_backward(
                cell, count, self.return_sequences, weights
            )

        def make(count):
            def run(inputs, mask, states):
                projected = cell.project_inputs(ops.reshape(inputs, (-1, features)))
                projected = ops.reshape(projected, (count, -1, projected.shape[-1]))
                firsts, states = _run_steps(
                    cell,
                    ops.unstack(projected, num=count),
                    None if mask is None else ops.unstack(mask, num=count),
                    states,
                )
                return (ops.stack(firsts) if self.return_sequences else None), states

            return run

        return make

    def _static_loop(self, sequences, states, mask, training):
        # Returns the first state after every step, (batch, timesteps, units),
        # or None without `return_sequences`, and the final states.
        timesteps, features = sequences.shape[1], sequences.shape[2]
        inputs = ops.transpose(sequences, (1, 0, 2))
        if mask is not None:
            mask = ops.expand_dims(ops.transpose(mask), -1)
        steps_function = self._steps_function(features, training)
        per_iteration = timesteps if self.unroll else self.steps_per_iteration
        per_iteration = min(per_iteration, timesteps)
        iterations, head = divmod(timesteps, per_iteration)
        if iterations == 1:
            head, iterations = timesteps, 0
        firsts = []
        if head:
            # The steps that do not fill an iteration run before the loop.
            head_firsts, states = steps_function(head)(
                inputs[:head], None if mask is None else mask[:head], states
            )
            firsts.append(head_firsts)
        if iterations:
            run = steps_function(per_iteration)

            def step(step_inputs, states):
                step_mask = None
                if mask is not None:
                    step_inputs, step_mask = step_inputs
                step_firsts, states = run(step_inputs, step_mask, list(states))
                if step_firsts is None:
                    return states[0], states
                return step_firsts, states

            def iterations_of(tensor):
                return ops.reshape(
                    tensor[head:], (iterations, per_iteration, -1, tensor.shape[-1])
                )

            loop_inputs = iterations_of(inputs)
            if mask is not None:
                loop_inputs = (loop_inputs, iterations_of(mask))
            _, loop_firsts, states = keras_backend.rnn(
                step,
                loop_inputs,
                states,
                time_major=True,
                # Given, since `rnn` would read it from the second axis.
                input_length=iterations,
                return_all_outputs=self.return_sequences,
            )
            if self.return_sequences:
                firsts.append(
                    ops.reshape(
                        loop_firsts, (timesteps - head, -1, loop_firsts.shape[-1])
                    )
                )
        if not self.return_sequences:
            return None, list(states)
        firsts = firsts[0] if len(firsts) == 1 else ops.concatenate(firsts, 0)
        return ops.transpose(firsts, (1, 0, 2)), list(states)

    def _dynamic_loop(self, sequences, states, mask):
        # An unknown number of steps (a SavedModel served with any length):
        # one step per iteration, batch-major, masked by `rnn` itself.
        def step(projected, states):
            step_firsts, states = _run_steps(self.cell, [projected], None, states)
            return step_firsts[0], states

        _, firsts, states = keras_backend.rnn(
            step,
            self.cell.project_inputs(sequences),
            states,
            mask=mask,
            return_all_outputs=self.return_sequences,
        )
        return (firsts if self.return_sequences else None), list(states)

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
