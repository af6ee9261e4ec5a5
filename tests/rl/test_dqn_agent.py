"""DQNAgent: targets against NumPy, target sync, epsilon schedule, Huber loss,
n-step folding, clipping, state and export."""

import keras
import numpy as np
import pytest

from kerastoolkit.rl.dqn_agent import DQNAgent, huber, linear_epsilon
from kerastoolkit.rl.q_network import build_mlp_q_network
from kerastoolkit.testing import check_serialization, serving_process


def make_agent(**kwargs):
    keras.utils.set_random_seed(0)
    network = build_mlp_q_network((3,), 3, hidden_units=(8,))
    return DQNAgent(network, **{"jit_compile": False, **kwargs})


def numpy_q(weights, observations):
    kernel_1, bias_1, kernel_2, bias_2 = weights
    return np.maximum(observations @ kernel_1 + bias_1, 0) @ kernel_2 + bias_2


def batch(size=16, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "observations": rng.standard_normal((size, 3)).astype("float32"),
        "actions": rng.integers(0, 3, size),
        "rewards": rng.standard_normal(size).astype("float32"),
        "next_observations": rng.standard_normal((size, 3)).astype("float32"),
        "terminations": (rng.random(size) < 0.3).astype("float32"),
        "horizons": rng.integers(1, 4, size).astype("int32"),
    }


def perturb_target(agent, seed=1):
    rng = np.random.default_rng(seed)
    agent.target_network.set_weights(
        [
            w + rng.standard_normal(w.shape).astype("float32")
            for w in agent.target_network.get_weights()
        ]
    )


def numpy_huber(x, delta):
    return np.where(np.abs(x) <= delta, 0.5 * x**2, delta * (np.abs(x) - 0.5 * delta))


@pytest.mark.parametrize(
    "double_dqn, jit_compile", [(True, False), (False, False), (True, True)]
)
def test_td_errors_and_loss_match_numpy(double_dqn, jit_compile):
    agent = make_agent(gamma=0.9, double_dqn=double_dqn, jit_compile=jit_compile)
    perturb_target(agent)
    data = batch()
    online, target = agent.q_network.get_weights(), agent.target_network.get_weights()
    next_online = numpy_q(online, data["next_observations"])
    next_target = numpy_q(target, data["next_observations"])
    chooser = next_online if double_dqn else next_target
    # The batch must tell Double DQN from DQN apart.
    assert np.any(next_online.argmax(1) != next_target.argmax(1))
    bootstrap = next_target[np.arange(16), chooser.argmax(1)]
    targets = (
        data["rewards"]
        + 0.9 ** data["horizons"] * (1 - data["terminations"]) * bootstrap
    )
    taken = numpy_q(online, data["observations"])[np.arange(16), data["actions"]]
    result = agent.update(data)
    np.testing.assert_allclose(
        result["td_errors"], taken - targets, rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(
        result["loss"], numpy_huber(taken - targets, 1.0).mean(), rtol=1e-4
    )
    # The update moved the online network only.
    assert not np.allclose(agent.q_network.get_weights()[0], online[0])
    np.testing.assert_array_equal(agent.target_network.get_weights()[0], target[0])


def test_stacked_batches_run_that_many_steps_like_single_calls():
    stacked, single = make_agent(), make_agent()
    data = [batch(8, seed) for seed in range(3)]
    stacked_result = stacked.update(
        {k: np.stack([d[k] for d in data]) for k in data[0]}
    )
    losses = [single.update(d)["loss"] for d in data]
    assert stacked_result["td_errors"].shape == (3, 8)
    np.testing.assert_allclose(stacked_result["loss"], np.mean(losses), rtol=1e-5)
    assert int(stacked.optimizer.iterations) == 3
    for a, b in zip(
        stacked.q_network.get_weights(), single.q_network.get_weights(), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_importance_weights_scale_the_loss():
    agent = make_agent()
    data = batch()
    data["weights"] = np.linspace(0, 1, 16).astype("float32")
    reference = make_agent().update(batch())
    result = agent.update(data)
    np.testing.assert_allclose(result["td_errors"], reference["td_errors"], rtol=1e-5)
    expected = (data["weights"] * numpy_huber(result["td_errors"], 1.0)).mean()
    np.testing.assert_allclose(result["loss"], expected, rtol=1e-4)


def test_hard_and_polyak_target_sync():
    agent = make_agent(tau=0.25)
    agent.update(batch())
    online, target = agent.q_network.get_weights(), agent.target_network.get_weights()
    assert not np.allclose(online[0], target[0])
    agent.sync_target()  # the agent's tau
    for o, t, new in zip(
        online, target, agent.target_network.get_weights(), strict=True
    ):
        np.testing.assert_allclose(new, 0.25 * o + 0.75 * t, rtol=1e-6, atol=1e-7)
    agent.sync_target(tau=1.0)
    for o, new in zip(online, agent.target_network.get_weights(), strict=True):
        np.testing.assert_array_equal(new, o)


def test_gradient_clipping_limits_the_step():
    data = batch()
    free, clipped = make_agent(), make_agent(max_grad_norm=1e-12)
    before = free.q_network.get_weights()[0]
    free.update(data)
    clipped.update(data)
    free_step = np.abs(free.q_network.get_weights()[0] - before).max()
    clipped_step = np.abs(clipped.q_network.get_weights()[0] - before).max()
    # Adam divides by sqrt(v) + eps: a gradient of norm 1e-12 << eps barely moves.
    assert clipped_step < 0.01 * free_step


def test_epsilon_schedule_values():
    agent = make_agent(epsilon_start=1.0, epsilon_end=0.04, exploration_steps=8000)
    for step, expected in [(0, 1.0), (4000, 0.52), (8000, 0.04), (50_000, 0.04)]:
        assert agent.epsilon(step) == pytest.approx(expected)
    assert linear_epsilon(5, 0.5, 0.1, 0) == 0.1


def test_act_is_greedy_at_epsilon_zero_and_uniform_at_one():
    agent = make_agent(epsilon_start=1.0, epsilon_end=0.0, exploration_steps=10)
    observations = np.random.default_rng(3).standard_normal((50, 3)).astype("float32")
    greedy = np.argmax(agent.q_network(observations), axis=1)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal([agent.act(o, 10, rng) for o in observations], greedy)
    actions = [agent.act(observations[0], 0, rng) for _ in range(3000)]
    assert np.all(np.abs(np.bincount(actions, minlength=3) / 3000 - 1 / 3) < 0.04)


def test_numpy_acting_matches_the_model_and_dueling_uses_the_graph():
    observations = np.random.default_rng(4).standard_normal((64, 3)).astype("float32")
    agent = make_agent()
    assert agent._numpy_weights is not None
    expected = np.argmax(agent.q_network(observations), axis=1)
    np.testing.assert_array_equal(
        [agent.greedy_action(o) for o in observations], expected
    )
    dueling = DQNAgent(build_mlp_q_network((3,), 3, hidden_units=(8,), dueling=True))
    assert dueling._numpy_weights is None
    expected = np.argmax(dueling.q_network(observations), axis=1)
    np.testing.assert_array_equal(
        [dueling.greedy_action(o) for o in observations[:5]], expected[:5]
    )


def test_huber_matches_numpy_and_keras():
    x = np.linspace(-3, 3, 25).astype("float32")
    for delta in (1.0, 2.0):
        np.testing.assert_allclose(huber(x, delta), numpy_huber(x, delta), rtol=1e-6)
        keras_huber = keras.losses.Huber(delta=delta, reduction=None)
        np.testing.assert_allclose(
            huber(x, delta), keras_huber(np.zeros((25, 1)), x[:, None]), rtol=1e-5
        )


def test_n_step_transition_folds_discounted_rewards():
    agent = make_agent(gamma=0.9, n_step=3)
    window = [(np.full(3, i, "float32"), i, r) for i, r in enumerate([1.0, 2.0, 3.0])]
    observation, action, reward, next_observation, terminated, horizon = (
        agent.n_step_transition(window, "s3", True)
    )
    np.testing.assert_array_equal(observation, np.zeros(3))
    assert (action, next_observation, terminated, horizon) == (0, "s3", True, 3)
    assert reward == pytest.approx(1.0 + 0.9 * 2.0 + 0.81 * 3.0)


def test_state_round_trip_gives_identical_updates():
    agent = make_agent()
    agent.update(batch(seed=1))
    copy = DQNAgent.from_config(agent.get_config())
    copy.set_state(agent.get_state())
    first, second = agent.update(batch(seed=2)), copy.update(batch(seed=2))
    np.testing.assert_array_equal(first["td_errors"], second["td_errors"])
    for a, b in zip(
        agent.q_network.get_weights(), copy.q_network.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_config_round_trip_with_a_learning_rate_schedule():
    schedule = keras.optimizers.schedules.PolynomialDecay(1e-3, 100, 0.0)
    agent = make_agent(learning_rate=schedule, double_dqn=False, n_step=2)
    config = agent.get_config()
    # Same config after JSON and from_config; found by its registered name.
    check_serialization(agent)
    assert set(config) >= {"q_network", "gamma", "tau", "n_step", "max_grad_norm"}


def test_export_policy_serves_actions_and_q_values(tmp_path):
    agent = make_agent()
    observations = np.random.default_rng(5).standard_normal((6, 3)).astype("float32")
    path = agent.export_policy(tmp_path / "policy")
    assert path.name == "1"
    server = serving_process()
    for rows in (observations[:1], observations):
        actions, q_values = server.serve(path, {"observations": rows})
        expected = np.asarray(agent.q_network(rows))
        np.testing.assert_allclose(q_values, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(actions, expected.argmax(axis=1))
        assert actions.dtype == np.int64


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"gamma": 1.5}, "`gamma`"),
        ({"tau": 0.0}, "`tau`"),
        ({"learning_rate": -1.0}, "`learning_rate`"),
        ({"n_step": 0}, "`n_step`"),
        ({"exploration_steps": -5}, "`exploration_steps`"),
        ({"double_dqn": 1}, "`double_dqn`"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_agent(**kwargs)
    with pytest.raises(ValueError, match="`q_network`"):
        DQNAgent("not a model")
