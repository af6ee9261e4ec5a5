"""The training loop: same seed -> same run; interrupt, resume -> the same
continuation; atomic checkpoints; TensorBoard logs; environments."""

import pickle

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.util import event_pb2

from kerastoolkit.rl.environments import check_env_id, make_env
from kerastoolkit.rl.training_loop import (
    CHECKPOINT_NAME,
    dqn_settings,
    episode_seed,
    evaluate_policy,
    greedy_returns,
    read_checkpoint,
    selection_seed,
    train_dqn,
)
from kerastoolkit.training import CorruptCheckpointError, IncompatibleCheckpointError

SHORT = {
    "total_steps": 900,
    "learning_starts": 200,
    "train_freq": 50,
    "gradient_steps": 4,
    "batch_size": 32,
    "buffer_size": 500,  # wraps around during the run
    "hidden_units": (16,),
    "exploration_fraction": 0.5,
    "target_update_interval": 30,
}


def read_scalars(log_dir):
    """{tag: [values]} from the TensorBoard event files in `log_dir`."""
    scalars = {}
    for path in sorted(log_dir.glob("events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(str(path)):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                assert value.metadata.plugin_data.plugin_name == "scalars"
                scalars.setdefault(value.tag, []).append(
                    float(tf.make_ndarray(value.tensor))
                )
    return scalars


def assert_same_weights(first, second):
    for network in ("q_network", "target_network"):
        for a, b in zip(
            getattr(first, network).get_weights(),
            getattr(second, network).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b, err_msg=network)


@pytest.fixture(scope="module")
def reference_run():
    return train_dqn(seed=3, **SHORT)


def test_same_seed_gives_identical_returns(reference_run, tmp_path):
    again = train_dqn(seed=3, log_dir=tmp_path / "logs", **SHORT)
    assert len(reference_run["episode_returns"]) > 10
    np.testing.assert_array_equal(
        again["episode_returns"], reference_run["episode_returns"]
    )
    np.testing.assert_array_equal(again["losses"], reference_run["losses"])
    assert_same_weights(again["agent"], reference_run["agent"])
    logged = read_scalars(tmp_path / "logs")
    np.testing.assert_allclose(
        logged["charts/episodic_return"], reference_run["episode_returns"]
    )
    np.testing.assert_allclose(logged["losses/td_loss"], reference_run["losses"][:, 1])
    assert logged["charts/epsilon"][0] == pytest.approx(1.0 - 0.96 * 250 / 450)
    other = train_dqn(seed=4, **{**SHORT, "total_steps": 300})
    assert not np.array_equal(
        other["episode_returns"],
        reference_run["episode_returns"][: len(other["episode_returns"])],
    )


def test_interrupt_and_resume_continue_exactly(reference_run, tmp_path):
    first = train_dqn(
        seed=3,
        checkpoint_dir=tmp_path,
        checkpoint_interval=100,
        stop_at_step=437,
        **SHORT,
    )
    assert first["interrupted"] and first["steps"] == 437
    assert first["selected_step"] == 437  # an interrupted run keeps its last weights
    # Mid-episode, mid-buffer, between training phases, with a checkpoint
    # written atomically (no temporary file left behind).
    state = read_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert state["run"]["step"] == 437 and state["run"]["episode_actions"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [CHECKPOINT_NAME]
    resumed = train_dqn(seed=3, checkpoint_dir=tmp_path, **SHORT)
    assert not resumed["interrupted"] and resumed["steps"] == 900
    np.testing.assert_array_equal(
        resumed["episode_returns"], reference_run["episode_returns"]
    )
    np.testing.assert_array_equal(resumed["losses"], reference_run["losses"])
    assert_same_weights(resumed["agent"], reference_run["agent"])
    for a, b in zip(
        resumed["agent"].get_state()["optimizer"],
        reference_run["agent"].get_state()["optimizer"],
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


def _selection_score(agent, episodes, seed):
    """The mean greedy return of `agent` on the selection episodes of `seed`."""
    seeds = [selection_seed(seed, i) for i in range(episodes)]
    return float(np.mean(greedy_returns(agent, "CartPole-v1", seeds)))


def test_selection_ends_with_the_best_scoring_weights(tmp_path):
    # Seed 3 learns to balance 31 steps by step 400 and loses it later.
    settings = {
        **SHORT,
        "total_steps": 2000,
        "train_freq": 10,
        "gradient_steps": 2,
        "buffer_size": 2000,
        "hidden_units": (32,),
        "exploration_fraction": 0.3,
        "target_update_interval": 100,
        "learning_rate": 5e-3,
    }
    last = train_dqn(seed=3, selection_interval=0, **settings)
    assert last["selected_step"] == 2000 and last["selection"].shape == (0, 2)
    chosen = {"selection_interval": 400, "selection_episodes": 2}
    result = train_dqn(seed=3, **settings, **chosen)
    # Selection plays episodes of its own: training is unchanged.
    np.testing.assert_array_equal(result["episode_returns"], last["episode_returns"])
    np.testing.assert_array_equal(result["losses"], last["losses"])
    steps, scores = result["selection"].T
    assert steps.tolist() == [400, 800, 1200, 1600, 2000]
    # The later of equal best scores is kept, and the agent acts with it; the
    # last weights score less on the same episodes.
    best = np.flatnonzero(scores == scores.max())[-1]
    assert result["selected_step"] == steps[best] < 2000
    assert _selection_score(result["agent"], 2, 3) == scores.max()
    assert _selection_score(last["agent"], 2, 3) == scores[-1] < scores.max()
    # The best weights travel in the checkpoint: a resumed run ends the same.
    train_dqn(seed=3, checkpoint_dir=tmp_path, stop_at_step=1000, **settings, **chosen)
    resumed = train_dqn(seed=3, checkpoint_dir=tmp_path, **settings, **chosen)
    np.testing.assert_array_equal(resumed["selection"], result["selection"])
    assert_same_weights(resumed["agent"], result["agent"])


def test_resume_is_exact_with_n_step_prioritized_dueling_double(tmp_path):
    settings = {
        **SHORT,
        "total_steps": 400,
        "n_step": 3,
        "prioritized": True,
        "dueling": True,
        "double_dqn": True,
        "tau": 0.5,
        "final_learning_rate": 0.0,
        "gradient_steps": 2,
    }
    whole = train_dqn(seed=1, **settings)
    train_dqn(seed=1, checkpoint_dir=tmp_path, stop_at_step=263, **settings)
    resumed = train_dqn(seed=1, checkpoint_dir=tmp_path, **settings)
    np.testing.assert_array_equal(resumed["episode_returns"], whole["episode_returns"])
    np.testing.assert_array_equal(resumed["losses"], whole["losses"])
    assert_same_weights(resumed["agent"], whole["agent"])


def test_resume_refuses_other_settings_and_damaged_checkpoints(tmp_path):
    settings = {**SHORT, "total_steps": 60, "learning_starts": 60}
    train_dqn(seed=0, checkpoint_dir=tmp_path, **settings)
    path = tmp_path / CHECKPOINT_NAME
    with pytest.raises(IncompatibleCheckpointError) as raised:
        train_dqn(seed=0, checkpoint_dir=tmp_path, gamma=0.5, **settings)
    assert str(path) in str(raised.value) and "gamma: 0.99 -> 0.5" in str(raised.value)
    whole = path.read_bytes()
    damaged = {
        "truncated": whole[: len(whole) // 2],
        "garbled": whole[:40] + bytes(255 - b for b in whole[40:200]) + whole[200:],
        "empty": b"",
        "not a checkpoint": pickle.dumps({"step": 3}),
    }
    for cause, content in damaged.items():
        path.write_bytes(content)
        with pytest.raises(CorruptCheckpointError, match="is corrupt") as raised:
            train_dqn(seed=0, checkpoint_dir=tmp_path, **settings)
        message = str(raised.value)
        assert str(path) in message and len(message.splitlines()) == 1, cause
        assert path.read_bytes() == content, "a damaged checkpoint is kept to inspect"


def test_evaluate_policy_and_episode_seeds(reference_run):
    returns = evaluate_policy(reference_run["agent"], "CartPole-v1", episodes=3, seed=5)
    assert returns.shape == (3,) and np.all(returns >= 8)
    np.testing.assert_array_equal(
        returns, evaluate_policy(reference_run["agent"], "CartPole-v1", 3, seed=5)
    )
    assert episode_seed(0, 1) != episode_seed(0, 2) != episode_seed(1, 1)


def test_settings_validation():
    assert dqn_settings()["target_update_interval"] == 10
    with pytest.raises(ValueError, match="unknown"):
        dqn_settings({"learning_rat": 1e-3})
    with pytest.raises(ValueError, match="`train_freq`"):
        dqn_settings(train_freq=0)
    with pytest.raises(ValueError, match="`exploration_fraction`"):
        dqn_settings(exploration_fraction=1.5)
    # A decaying rate reaches the agent as a schedule, so the settings check
    # the rates: 0 switches learning off, a negative rate is refused.
    assert dqn_settings(learning_rate=0.0, final_learning_rate=0.0)
    with pytest.raises(ValueError, match="`learning_rate`"):
        dqn_settings(learning_rate=-1e-3)
    with pytest.raises(ValueError, match="`final_learning_rate`"):
        dqn_settings(final_learning_rate=-1e-5)
    with pytest.raises(ValueError, match="`env_id`"):
        make_env("NoSuchEnv-v0")


@pytest.mark.parametrize(
    ("env_id", "message"),
    [
        ("NoSuchEnv-v0", "must be a registered gymnasium environment, got 'NoSuch"),
        ("ALE/NoSuchGame-v5", "must be a registered gymnasium environment"),
        ("Pendulum-v1", "must have discrete actions for DQN, got 'Pendulum-v1'"),
        ("", "must be a gymnasium id string"),
    ],
)
def test_check_env_id_refuses_what_dqn_cannot_train_on(env_id, message):
    with pytest.raises(ValueError, match=message):
        check_env_id(env_id)


def test_check_env_id_names_a_missing_simulator(monkeypatch):
    import gymnasium

    from kerastoolkit.rl import environments

    def make(env_id, **kwargs):
        raise gymnasium.error.DependencyNotInstalled("Box2D is not installed")

    monkeypatch.setattr(gymnasium, "make", make)
    environments._check_env_id.cache_clear()
    with pytest.raises(ValueError, match="'LunarLander-v3' needs a package.*Box2D"):
        check_env_id("LunarLander-v3")
    environments._check_env_id.cache_clear()


def test_check_env_id_accepts_classic_control_and_atari():
    # LunarLander-v3's Box2D comes with the project's rl extra.
    for env_id in ("CartPole-v1", "Acrobot-v1", "LunarLander-v3", "ALE/Pong-v5"):
        assert check_env_id(env_id) == env_id


def test_an_environment_missing_its_simulator_names_the_dependency(monkeypatch):
    # LunarLander-v3 is registered but needs Box2D (gymnasium[box2d]): the
    # error says so instead of calling the id unknown, installed or not.
    import gymnasium

    def make(env_id, **kwargs):
        raise gymnasium.error.DependencyNotInstalled(
            'Box2D is not installed, run `pip install "gymnasium[box2d]"`'
        )

    monkeypatch.setattr(gymnasium, "make", make)
    with pytest.raises(ImportError, match="LunarLander-v3.*box2d"):
        make_env("LunarLander-v3")


def test_atari_preprocessing():
    env = make_env("ALE/Pong-v5")
    observation, info = env.reset(seed=0)
    assert observation.shape == (4, 84, 84) and observation.dtype == np.uint8
    # The ALE itself does not skip frames; AtariPreprocessing skips 4.
    assert env.unwrapped._frameskip == 1
    start = info["frame_number"]
    rewards = []
    for _ in range(200):
        observation, reward, terminated, truncated, info = env.step(
            env.action_space.sample()
        )
        rewards.append(reward)
    assert info["frame_number"] - start == 800
    assert set(rewards) <= {-1.0, 0.0, 1.0} and -1.0 in rewards
    env.close()
