"""Proportional prioritized experience replay on a sum tree."""

import numpy as np

from kerastoolkit.rl.replay_buffer import ReplayBuffer


class _SumTree:
    """A complete binary tree whose leaves hold priorities and whose inner
    nodes hold the sums of their children (array layout: node k has children
    2k and 2k+1, leaves start at `leaf_offset`). Updates and prefix-sum
    searches cost O(log capacity) and are vectorised over a batch."""

    def __init__(self, capacity):
        self.leaf_offset = 1 << int(np.ceil(np.log2(max(capacity, 1))))
        self.nodes = np.zeros(2 * self.leaf_offset, np.float64)

    @property
    def total(self):
        return self.nodes[1]

    def leaves(self, indices):
        return self.nodes[self.leaf_offset + np.asarray(indices)]

    def update(self, indices, priorities):
        nodes = self.leaf_offset + np.asarray(indices, np.int64).ravel()
        self.nodes[nodes] = np.asarray(priorities, np.float64).ravel()
        nodes = np.unique(nodes // 2)
        while nodes[0] >= 1:
            self.nodes[nodes] = self.nodes[2 * nodes] + self.nodes[2 * nodes + 1]
            if nodes[0] == 1:
                break
            nodes = np.unique(nodes // 2)

    def find(self, prefix_sums):
        """Leaf index i with sum(p[:i]) <= prefix < sum(p[:i+1]), per entry."""
        prefix = np.asarray(prefix_sums, np.float64).copy()
        nodes = np.ones(prefix.shape, np.int64)
        for _ in range(self.leaf_offset.bit_length() - 1):  # the tree's depth
            left = 2 * nodes
            go_right = prefix >= self.nodes[left]
            prefix = np.where(go_right, prefix - self.nodes[left], prefix)
            nodes = np.where(go_right, left + 1, left)
        return nodes - self.leaf_offset


class PrioritizedReplayBuffer(ReplayBuffer):
    """A `ReplayBuffer` that samples transition i with probability
    `P(i) = p_i**alpha / sum_k p_k**alpha`.

    New transitions get the largest priority seen so far, so each is replayed
    at least once soon. Sampling is stratified: the total mass is cut into
    `batch_size` equal segments and one prefix sum is drawn uniformly in each,
    then located in the sum tree. The bias of non-uniform sampling is corrected
    by importance weights `w_i = (N * P(i))**(-beta) / max_j w_j`, returned in
    the batch as `weights`; after a learning step call
    `update_priorities(indices, |td_error| + epsilon)`.

    Args:
        capacity: the most transitions kept.
        observation_shape: the shape of one observation.
        observation_dtype: the observations' dtype.
        seed: seed of the sampling generator.
        alpha: how strongly priorities skew sampling (0 = uniform).
        beta: importance-sampling exponent (1 = full correction).
        epsilon: added to |TD error| so no transition gets zero probability.

    Example:

    ```python
    buffer = PrioritizedReplayBuffer(10_000, (4,), alpha=0.6, beta=0.4, seed=0)
    batch = buffer.sample(32)
    buffer.update_priorities(batch["indices"], np.abs(td_errors))
    ```

    References:
        Schaul, Quan, Antonoglou and Silver, "Prioritized Experience Replay",
        ICLR 2016.
    """

    def __init__(
        self,
        capacity,
        observation_shape,
        observation_dtype="float32",
        seed=None,
        alpha=0.6,
        beta=0.4,
        epsilon=1e-6,
    ):
        super().__init__(capacity, observation_shape, observation_dtype, seed)
        for name, value in (("alpha", alpha), ("beta", beta)):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or value < 0
            ):
                raise ValueError(f"`{name}` must be a number >= 0, got {value!r}.")
        if (
            isinstance(epsilon, bool)
            or not isinstance(epsilon, (int, float))
            or epsilon <= 0
        ):
            raise ValueError(f"`epsilon` must be a number > 0, got {epsilon!r}.")
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.epsilon = float(epsilon)
        self.tree = _SumTree(self.capacity)
        self.max_priority = 1.0

    def add(self, observation, action, reward, next_observation, terminated, horizon=1):
        index = super().add(
            observation, action, reward, next_observation, terminated, horizon
        )
        self.tree.update([index], [self.max_priority**self.alpha])
        return index

    def sample_indices(self, batch_size, num_batches=None):
        if num_batches is not None:
            raise ValueError(
                "PrioritizedReplayBuffer samples one batch at a time (priorities "
                f"change after each step), got `num_batches`={num_batches!r}."
            )
        if self.size == 0:
            raise ValueError("Cannot sample from an empty PrioritizedReplayBuffer.")
        segment = self.tree.total / batch_size
        prefix = (np.arange(batch_size) + self.rng.random(batch_size)) * segment
        indices = self.tree.find(prefix)
        # Guard against rounding at the right edge landing on an empty leaf.
        return np.minimum(indices, self.size - 1)

    def sample(self, batch_size, num_batches=None):
        """Samples a batch in proportion to priority.

        Returns:
            The `ReplayBuffer.sample` dict plus `indices` (to update their
            priorities) and `weights` (float32 importance weights, max 1).
        """
        indices = self.sample_indices(batch_size, num_batches)
        batch = self.gather(indices)
        probabilities = self.tree.leaves(indices) / self.tree.total
        weights = (self.size * probabilities) ** (-self.beta)
        batch["weights"] = (weights / weights.max()).astype(np.float32)
        batch["indices"] = indices
        return batch

    def update_priorities(self, indices, priorities):
        """Sets the priorities of `indices` to `priorities + epsilon`."""
        priorities = np.abs(np.asarray(priorities, np.float64)) + self.epsilon
        self.max_priority = max(self.max_priority, float(priorities.max()))
        self.tree.update(indices, priorities**self.alpha)

    def get_state(self):
        state = super().get_state()
        state.update(tree=self.tree.nodes.copy(), max_priority=self.max_priority)
        return state

    def set_state(self, state):
        super().set_state(state)
        self.tree.nodes[:] = state["tree"]
        self.max_priority = float(state["max_priority"])
