"""A fixed-memory experience replay buffer (a NumPy ring buffer)."""

import numpy as np

from kerastoolkit.utils.argument_checks import positive_int

_FIELDS = (
    "observations",
    "actions",
    "rewards",
    "next_observations",
    "terminations",
    "horizons",
)


class ReplayBuffer:
    """Stores the last `capacity` transitions and samples them uniformly.

    Every field lives in one preallocated NumPy array, so the memory is fixed
    at construction: `capacity * (2 * prod(observation_shape) * itemsize + 17)`
    bytes. Once full, a new transition overwrites the oldest one (slot
    `position`, then `position = (position + 1) mod capacity`). Sampling draws
    indices i.i.d. uniform on `{0, ..., size - 1}` (with replacement) from the
    buffer's own `numpy.random.Generator`, so the sample stream depends only on
    `seed` and the calls made, and `get_state` / `set_state` restore it exactly.

    A transition is `(s, a, r, s', terminated, horizon)`: for n-step returns
    `r` is the discounted sum of `horizon` rewards and `s'` the observation
    `horizon` steps later, so the learner bootstraps with `gamma**horizon`.

    Args:
        capacity: the most transitions kept.
        observation_shape: the shape of one observation, e.g. `(4,)` or
            `(4, 84, 84)`.
        observation_dtype: the observations' dtype ("float32"; "uint8" for
            Atari frames, which keeps them 4 times smaller).
        seed: seed of the sampling generator (None: from OS entropy).

    Example:

    ```python
    buffer = ReplayBuffer(10_000, (4,), seed=0)
    buffer.add(obs, action, reward, next_obs, terminated)
    batch = buffer.sample(64)  # dict of arrays with leading axis 64
    ```

    References:
        Lin, "Self-improving reactive agents based on reinforcement learning,
        planning and teaching", Machine Learning 1992. Mnih et al.,
        "Human-level control through deep reinforcement learning", Nature 2015.
    """

    def __init__(
        self, capacity, observation_shape, observation_dtype="float32", seed=None
    ):
        self.capacity = positive_int("capacity", capacity)
        shape = tuple(observation_shape)
        if not shape or any(
            isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1
            for d in shape
        ):
            raise ValueError(
                "`observation_shape` must be a non-empty tuple of positive "
                f"integers, got {observation_shape!r}."
            )
        self.observation_shape = tuple(int(d) for d in shape)
        try:
            self.observation_dtype = np.dtype(observation_dtype).name
        except TypeError as error:
            raise ValueError(
                "`observation_dtype` must be a NumPy dtype name, got "
                f"{observation_dtype!r}."
            ) from error
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"`seed` must be an integer or None, got {seed!r}.")
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        full = (self.capacity, *self.observation_shape)
        self.observations = np.zeros(full, self.observation_dtype)
        self.next_observations = np.zeros(full, self.observation_dtype)
        self.actions = np.zeros(self.capacity, np.int64)
        self.rewards = np.zeros(self.capacity, np.float32)
        self.terminations = np.zeros(self.capacity, np.float32)
        self.horizons = np.ones(self.capacity, np.int32)
        self.position = 0
        self.size = 0

    def __len__(self):
        return self.size

    def add(self, observation, action, reward, next_observation, terminated, horizon=1):
        """Stores one transition in slot `position` (overwriting the oldest).

        Returns:
            The slot index written.
        """
        index = self.position
        self.observations[index] = observation
        self.next_observations[index] = next_observation
        self.actions[index] = action
        self.rewards[index] = reward
        self.terminations[index] = float(terminated)
        self.horizons[index] = horizon
        self.position = (index + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        return index

    def sample_indices(self, batch_size, num_batches=None):
        """Draws slot indices uniformly, shape `[batch_size]` or
        `[num_batches, batch_size]`."""
        batch_size = positive_int("batch_size", batch_size)
        if self.size == 0:
            raise ValueError("Cannot sample from an empty ReplayBuffer.")
        shape = (
            batch_size
            if num_batches is None
            else (positive_int("num_batches", num_batches), batch_size)
        )
        return self.rng.integers(0, self.size, size=shape)

    def gather(self, indices):
        """Returns the transitions at `indices` as a dict of arrays."""
        return {name: getattr(self, name)[indices] for name in _FIELDS}

    def sample(self, batch_size, num_batches=None):
        """Samples transitions uniformly with replacement.

        Args:
            batch_size: transitions per batch.
            num_batches: if given, that many batches stacked on a leading axis
                (for several gradient steps in one compiled call).

        Returns:
            A dict with `observations`, `actions`, `rewards`,
            `next_observations`, `terminations` and `horizons`, each with
            leading shape `[batch_size]` or `[num_batches, batch_size]`.
        """
        return self.gather(self.sample_indices(batch_size, num_batches))

    def get_state(self):
        """Returns everything needed to continue exactly: contents, position,
        size and the sampling generator's state (a dict of NumPy arrays and
        Python values)."""
        state = {name: getattr(self, name)[: self.size].copy() for name in _FIELDS}
        state.update(
            position=self.position,
            size=self.size,
            rng=self.rng.bit_generator.state,
        )
        return state

    def set_state(self, state):
        """Restores a state written by `get_state` (same capacity and shape)."""
        size = int(state["size"])
        if size > self.capacity:
            raise ValueError(
                f"The state holds {size} transitions but `capacity` is {self.capacity}."
            )
        for name in _FIELDS:
            getattr(self, name)[:size] = state[name]
        self.position = int(state["position"])
        self.size = size
        self.rng.bit_generator.state = state["rng"]
