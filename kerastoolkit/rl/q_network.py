"""Q-network builders: an MLP for vector observations and the Nature-DQN CNN
for stacked Atari frames, each with an optional dueling head.

Every builder returns a functional `keras.Model` from a batch of observations
to Q-values `[batch, num_actions]`, made only of Keras layers and `keras.ops`,
so it saves to `.keras`, reloads in safe mode and exports as a SavedModel.
"""

import keras

from kerastoolkit.utils.argument_checks import boolean, positive_int


def _units(name, values):
    values = tuple(values)
    for value in values:
        positive_int(name, value)
    return values


def _head(features, num_actions, dueling, hidden_units=()):
    """Q-values from features; the dueling head is
    `Q(s, a) = V(s) + A(s, a) - mean_a' A(s, a')`."""
    if not dueling:
        return keras.layers.Dense(num_actions, name="q_values")(features)
    value, advantage = features, features
    for i, units in enumerate(hidden_units):
        value = keras.layers.Dense(units, activation="relu", name=f"value_{i}")(value)
        advantage = keras.layers.Dense(units, activation="relu", name=f"advantage_{i}")(
            advantage
        )
    value = keras.layers.Dense(1, name="value")(value)
    advantage = keras.layers.Dense(num_actions, name="advantage")(advantage)
    centred = keras.ops.subtract(
        advantage, keras.ops.mean(advantage, axis=-1, keepdims=True)
    )
    return keras.ops.add(value, centred)


def build_mlp_q_network(
    observation_shape,
    num_actions,
    hidden_units=(256, 256),
    activation="relu",
    dueling=False,
    name="mlp_q_network",
):
    """Builds `Q(s, .) = W_L relu(... relu(W_1 s + b_1) ...) + b_L`.

    Args:
        observation_shape: shape of one (float) observation, e.g. `(4,)`;
            observations with more axes are flattened.
        num_actions: number of discrete actions (outputs).
        hidden_units: sizes of the hidden Dense layers.
        activation: activation of the hidden layers.
        dueling: use the dueling head (separate value and advantage streams
            after the last hidden layer).
        name: the model's name.

    Returns:
        A functional `keras.Model`, float32 `[batch, *observation_shape]` ->
        `[batch, num_actions]`.

    Example:

    ```python
    q_network = build_mlp_q_network((4,), 2, hidden_units=(256, 256))
    ```

    References:
        Wang et al., "Dueling Network Architectures for Deep Reinforcement
        Learning", ICML 2016.
    """
    num_actions = positive_int("num_actions", num_actions)
    hidden_units = _units("hidden_units", hidden_units)
    boolean("dueling", dueling)
    inputs = keras.Input(tuple(observation_shape), name="observations")
    x = inputs if len(observation_shape) == 1 else keras.layers.Flatten()(inputs)
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, activation=activation, name=f"hidden_{i}")(x)
    outputs = _head(x, num_actions, dueling)
    return keras.Model(inputs, outputs, name=name)


def build_nature_cnn_q_network(
    num_actions,
    observation_shape=(4, 84, 84),
    dueling=False,
    name="nature_cnn_q_network",
):
    """Builds the Nature-DQN network for stacked frames.

    uint8 frames `[batch, 4, 84, 84]` (frames first, as
    `gymnasium.wrappers.FrameStackObservation` gives them) are scaled by 1/255
    inside the model, moved to channels-last, and go through Conv(32, 8x8,
    stride 4) - Conv(64, 4x4, stride 2) - Conv(64, 3x3, stride 1) - Dense(512),
    all ReLU, then the Q-value head (with the dueling head: 512-unit value and
    advantage streams).

    Args:
        num_actions: number of discrete actions.
        observation_shape: `(frames, height, width)`.
        dueling: use the dueling head.
        name: the model's name.

    Returns:
        A functional `keras.Model`, uint8 `[batch, frames, height, width]` ->
        float32 `[batch, num_actions]`.

    Example:

    ```python
    q_network = build_nature_cnn_q_network(6)  # Pong's 6 actions
    ```

    References:
        Mnih et al., "Human-level control through deep reinforcement
        learning", Nature 2015.
    """
    num_actions = positive_int("num_actions", num_actions)
    boolean("dueling", dueling)
    shape = tuple(observation_shape)
    if len(shape) != 3:
        raise ValueError(
            "`observation_shape` must be (frames, height, width), got "
            f"{observation_shape!r}."
        )
    _units("observation_shape", shape)
    inputs = keras.Input(shape, dtype="uint8", name="frames")
    x = keras.layers.Rescaling(1.0 / 255.0, name="scale")(inputs)
    x = keras.layers.Permute((2, 3, 1), name="channels_last")(x)
    for i, (filters, size, stride) in enumerate(((32, 8, 4), (64, 4, 2), (64, 3, 1))):
        x = keras.layers.Conv2D(
            filters, size, strides=stride, activation="relu", name=f"conv_{i}"
        )(x)
    x = keras.layers.Flatten(name="flatten")(x)
    if dueling:
        return keras.Model(inputs, _head(x, num_actions, True, (512,)), name=name)
    x = keras.layers.Dense(512, activation="relu", name="hidden")(x)
    return keras.Model(inputs, _head(x, num_actions, False), name=name)


def build_q_network(
    observation_space, num_actions, hidden_units=(256, 256), dueling=False
):
    """Picks the builder for a gymnasium observation space: the Nature CNN for
    uint8 stacks of 2-D frames, the MLP otherwise."""
    shape = tuple(observation_space.shape)
    if len(shape) == 3 and str(observation_space.dtype) == "uint8":
        return build_nature_cnn_q_network(num_actions, shape, dueling=dueling)
    return build_mlp_q_network(shape, num_actions, hidden_units, dueling=dueling)
