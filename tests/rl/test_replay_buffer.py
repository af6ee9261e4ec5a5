"""ReplayBuffer and PrioritizedReplayBuffer: fixed memory, wrap-around, and
sampling distributions checked with chi-square tests at fixed seeds."""

import numpy as np
import pytest
from scipy import stats

from kerastoolkit.rl.prioritized_replay_buffer import PrioritizedReplayBuffer
from kerastoolkit.rl.replay_buffer import ReplayBuffer


def fill(buffer, count, start=0):
    for i in range(start, start + count):
        observation = np.full(buffer.observation_shape, i, buffer.observation_dtype)
        buffer.add(observation, i % 3, float(i), observation + 1, i % 7 == 6, 1 + i % 2)


def test_capacity_and_wrap_around():
    buffer = ReplayBuffer(5, (2,), seed=0)
    assert buffer.observations.shape == (5, 2)
    assert buffer.observations.nbytes == 5 * 2 * 4  # preallocated, fixed
    fill(buffer, 3)
    assert (len(buffer), buffer.position) == (3, 3)
    fill(buffer, 4, start=3)  # 7 transitions into 5 slots
    assert (len(buffer), buffer.position) == (5, 2)
    # Slots 0 and 1 were overwritten by transitions 5 and 6; 2..4 remain.
    np.testing.assert_array_equal(buffer.rewards, [5.0, 6.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(buffer.observations[:, 0], [5, 6, 2, 3, 4])
    np.testing.assert_array_equal(buffer.next_observations[:, 1], [6, 7, 3, 4, 5])
    np.testing.assert_array_equal(buffer.terminations, [0, 1, 0, 0, 0])
    np.testing.assert_array_equal(buffer.horizons, [2, 1, 1, 2, 1])
    np.testing.assert_array_equal(buffer.actions, [2, 0, 2, 0, 1])


def test_uint8_frames_keep_their_dtype():
    buffer = ReplayBuffer(3, (4, 6, 6), observation_dtype="uint8", seed=0)
    fill(buffer, 2)
    batch = buffer.sample(4)
    assert batch["observations"].dtype == np.uint8
    assert batch["observations"].shape == (4, 4, 6, 6)


def test_samples_only_filled_slots_and_stacks_batches():
    buffer = ReplayBuffer(100, (1,), seed=1)
    fill(buffer, 7)
    batch = buffer.sample(32, num_batches=5)
    assert batch["observations"].shape == (5, 32, 1)
    assert batch["rewards"].shape == (5, 32)
    assert batch["rewards"].max() <= 6.0
    # The stored fields stay aligned: next observation = observation + 1.
    np.testing.assert_array_equal(batch["next_observations"], batch["observations"] + 1)
    np.testing.assert_array_equal(batch["rewards"], batch["observations"][..., 0])


def test_uniform_sampling_passes_a_chi_square_test():
    buffer = ReplayBuffer(20, (1,), seed=123)
    fill(buffer, 27)  # wrapped: all 20 slots filled
    indices = buffer.sample_indices(100, num_batches=200).ravel()
    counts = np.bincount(indices, minlength=20)
    assert counts.sum() == 20_000
    assert stats.chisquare(counts).pvalue > 0.01
    # A skewed sampler fails the same test (the test has power).
    skewed = np.bincount(np.minimum(indices, 18), minlength=20)
    assert stats.chisquare(skewed).pvalue < 1e-6


def test_same_seed_same_samples_and_state_restores_the_stream():
    first, second = ReplayBuffer(50, (3,), seed=7), ReplayBuffer(50, (3,), seed=7)
    fill(first, 60)
    fill(second, 60)
    np.testing.assert_array_equal(first.sample_indices(64), second.sample_indices(64))
    state = first.get_state()
    expected = first.sample(16)
    restored = ReplayBuffer(50, (3,), seed=99)
    restored.set_state(state)
    assert (restored.position, len(restored)) == (first.position, len(first))
    for name, value in restored.sample(16).items():
        np.testing.assert_array_equal(value, expected[name], err_msg=name)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"capacity": 0, "observation_shape": (2,)}, "`capacity`"),
        ({"capacity": 4, "observation_shape": (0,)}, "`observation_shape`"),
        ({"capacity": 4, "observation_shape": (2,), "seed": 1.5}, "`seed`"),
        (
            {"capacity": 4, "observation_shape": (2,), "observation_dtype": "nope"},
            "dtype",
        ),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ReplayBuffer(**kwargs)


def test_sampling_an_empty_buffer_raises():
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(4, (2,)).sample(2)


def test_prioritized_sampling_is_proportional_to_priority():
    buffer = PrioritizedReplayBuffer(8, (1,), seed=5, alpha=1.0, beta=1.0)
    fill(buffer, 6)
    priorities = np.array([1.0, 2.0, 3.0, 4.0, 0.5, 9.5])
    buffer.update_priorities(np.arange(6), priorities - buffer.epsilon)
    np.testing.assert_allclose(buffer.tree.total, priorities.sum())
    counts = np.zeros(6)
    for _ in range(400):
        batch = buffer.sample(50)
        counts += np.bincount(batch["indices"], minlength=6)
    expected = priorities / priorities.sum() * counts.sum()
    assert stats.chisquare(counts, expected).pvalue > 0.01
    # Importance weights: w_i = (N P(i))^-beta / max w, against NumPy.
    batch = buffer.sample(16)
    probabilities = priorities[batch["indices"]] / priorities.sum()
    weights = (6 * probabilities) ** -1.0
    np.testing.assert_allclose(batch["weights"], weights / weights.max(), rtol=1e-6)


def test_prioritized_alpha_zero_is_uniform_and_new_items_get_max_priority():
    buffer = PrioritizedReplayBuffer(4, (1,), seed=0, alpha=0.0)
    fill(buffer, 4)
    buffer.update_priorities([0], [100.0])
    counts = np.bincount(
        np.concatenate([buffer.sample(40)["indices"] for _ in range(100)]), minlength=4
    )
    assert stats.chisquare(counts).pvalue > 0.01
    skewed = PrioritizedReplayBuffer(4, (1,), seed=0, alpha=1.0)
    fill(skewed, 2)
    skewed.update_priorities([0, 1], [3.0, 1.0])
    fill(skewed, 1, start=2)  # enters with the largest priority so far, 3
    np.testing.assert_allclose(skewed.tree.leaves([2]), skewed.tree.leaves([0]))
    state = skewed.get_state()
    restored = PrioritizedReplayBuffer(4, (1,), seed=1, alpha=1.0)
    restored.set_state(state)
    np.testing.assert_array_equal(
        restored.sample(8)["indices"], skewed.sample(8)["indices"]
    )
