"""The DQN demo end to end: a quick run learns (its greedy policy far above a
random policy on the same episodes), writes the learning curve, evaluation
tables, TensorBoard logs and a greedy-policy SavedModel that serves the same
actions as the trained network, without kerastoolkit; with learning switched
off its guard fails and nothing is published."""

import keras
import numpy as np
import pytest

from applications.rl.dqn_cartpole.config import ZOO_SETTINGS, Config
from applications.rl.dqn_cartpole.train import (
    GUARDS,
    RandomPolicy,
    smoothed_curve,
    train_and_evaluate,
)
from applications.runner import ConfigError, make_config
from kerastoolkit.rl.training_loop import dqn_settings
from kerastoolkit.testing import serving_process
from tests.applications.run_checks import failed_guard_run, finished_run


@pytest.fixture(scope="module")
def quick_run(quick_runs):
    return quick_runs("dqn_cartpole")


def test_quick_run_writes_curve_tables_logs_and_checkpoint(quick_run):
    run, metrics = finished_run(
        quick_run,
        (
            "report.md",
            "learning_curve.png",
            "evaluation.csv",
            "evaluation.md",
            "episodes_seed_0.npz",
            "models/q_network_seed_0.keras",
            "checkpoints/seed_0/checkpoint.pkl",
        ),
    )
    assert list((run / "tensorboard" / "seed_0").glob("events.out.tfevents.*"))
    rows = (run / "evaluation.csv").read_text().splitlines()
    assert rows[0].startswith("seed,episodes,mean") and len(rows) == 2
    episodes = np.load(run / "episodes_seed_0.npz")
    assert len(episodes["eval_returns"]) == len(episodes["random_returns"]) == 20
    assert metrics["eval_mean_return_seed_0"] == pytest.approx(
        episodes["eval_returns"].mean()
    )
    assert metrics["random_mean_return"] == pytest.approx(
        episodes["random_returns"].mean()
    )
    assert episodes["end_steps"][-1] <= 6000 and np.all(
        np.diff(episodes["end_steps"]) > 0
    )
    assert metrics["seeds_solved"] == float(metrics["eval_mean_return"] >= 475.0)


def test_quick_run_learns_several_times_the_random_policys_return(quick_run):
    _, record = quick_run
    metrics = record["metrics"]
    # A random CartPole policy balances about 22 steps (gymnasium's episodes
    # end when the pole tips): the baseline, on the same 20 episodes.
    assert 12 < metrics["random_mean_return"] < 35
    (guard,) = record["guards"]
    assert guard["metric"] == "eval_mean_return" and guard["passed"], guard["text"]
    assert guard["baseline"] == "random_mean_return"
    assert metrics["eval_mean_return"] > 4 * metrics["random_mean_return"]
    # A sixth of the way from random to solved: about 97 on CartPole.
    assert metrics["solved_return"] == 475.0
    assert 85 < guard["threshold"] < 105


@pytest.mark.parametrize(
    "env_id, random_return, learned, untrained",
    [
        # Zoo settings, seeds 1-2 (every greedy episode reached the flag),
        # and a policy that never does.
        ("MountainCar-v0", -200.0, -133.0, -200.0),
        ("Acrobot-v1", -499.0, -76.7, -500.0),
        ("CartPole-v1", 22.0, 126.0, 10.5),
    ],
)
def test_the_guard_fits_every_environments_scale(
    env_id, random_return, learned, untrained
):
    (guard,) = GUARDS
    solved = Config.for_env(env_id).solved_return
    metrics = {"random_mean_return": random_return, "solved_return": solved}
    assert guard.check({**metrics, "eval_mean_return": learned})[0]
    assert not guard.check({**metrics, "eval_mean_return": untrained})[0]


def test_guard_fails_and_nothing_is_published_when_learning_is_off(tmp_path):
    # The quick config with learning_rate=0, cut to two training phases (256
    # gradient steps that change nothing): an untrained network needs no
    # long run to show it is one. Seed 0's untrained network balances about
    # 10 steps, under the random policy's 21.
    error, record = failed_guard_run(
        "dqn_cartpole",
        tmp_path,
        {"learning_rate": 0.0, "total_steps": 1000, "learning_starts": 500},
        match="eval_mean_return",
    )
    assert len(error.failures) == 1
    assert record["status"] == "failed"
    (guard,) = record["guards"]
    assert guard["metric"] == "eval_mean_return" and not guard["passed"]
    assert record["metrics"]["eval_mean_return"] < 2 * guard["baseline_value"]


def test_random_policy_is_seeded_and_uniform():
    observation = np.zeros(4, "float32")

    def actions(seed, count=2000):
        policy = RandomPolicy(2, seed=seed)
        return np.array([policy.greedy_action(observation) for _ in range(count)])

    np.testing.assert_array_equal(actions(3), actions(3))
    assert not np.array_equal(actions(3), actions(4))
    assert set(actions(3)) == {0, 1} and abs(actions(3).mean() - 0.5) < 0.05


def test_served_policy_matches_the_trained_network(quick_run):
    root, record = quick_run
    path = record["metrics"]["saved_model"]
    assert path.endswith("saved/1")
    network = keras.saving.load_model(
        root / "run" / "models" / "q_network_seed_0.keras", safe_mode=True
    )
    observations = np.random.default_rng(0).uniform(-0.3, 0.3, (7, 4)).astype("float32")
    server = serving_process()
    for rows in (observations[:1], observations):
        actions, q_values = server.serve(path, {"observations": rows})
        expected = np.asarray(network(rows))
        np.testing.assert_allclose(q_values, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(actions, expected.argmax(axis=1))


def test_smoothed_curve_averages_the_last_episodes():
    curve = smoothed_curve([10, 20, 30], [1.0, 2.0, 6.0], [5, 10, 25, 40], window=2)
    np.testing.assert_allclose(curve, [np.nan, 1.0, 1.5, 4.0])


def test_presets_and_strategy(tmp_path):
    assert Config().total_steps == 50_000 and Config().seeds == (0, 1, 2)
    pong = Config.for_env("ALE/Pong-v5")
    assert (
        pong.train_freq == 4
        and pong.buffer_size == ZOO_SETTINGS["atari"]["buffer_size"]
    )
    assert Config.for_env("Acrobot-v1").target_update_interval == 250
    with pytest.raises(ValueError, match="`env_id`"):
        Config.for_env("Pendulum-v1")
    with pytest.raises(ValueError, match="`strategy`"):
        train_and_evaluate(
            Config(
                strategy="mirrored", output_dir=str(tmp_path), export_dir=str(tmp_path)
            )
        )


# rl-baselines3-zoo's hyperparams/dqn.yml (DLR-RM/rl-baselines3-zoo, commit
# ce95481b), transcribed in the zoo's own names; LunarLander-v3 is its
# LunarLander-v2 entry (renamed by the zoo's PR #495). Not in the file: SB3's
# defaults (tau 1, max_grad_norm 10, initial epsilon 1).
ZOO_DQN_YML = {
    "CartPole-v1": dict(
        n_timesteps=5e4, learning_rate=2.3e-3, batch_size=64, buffer_size=100000,
        learning_starts=1000, gamma=0.99, target_update_interval=10,
        train_freq=256, gradient_steps=128, exploration_fraction=0.16,
        exploration_final_eps=0.04, net_arch=[256, 256],
    ),
    "MountainCar-v0": dict(
        n_timesteps=1.2e5, learning_rate=4e-3, batch_size=128, buffer_size=10000,
        learning_starts=1000, gamma=0.98, target_update_interval=600,
        train_freq=16, gradient_steps=8, exploration_fraction=0.2,
        exploration_final_eps=0.07, net_arch=[256, 256],
    ),
    "LunarLander-v3": dict(
        n_timesteps=1e5, learning_rate=6.3e-4, batch_size=128, buffer_size=50000,
        learning_starts=0, gamma=0.99, target_update_interval=250, train_freq=4,
        gradient_steps=-1, exploration_fraction=0.12, exploration_final_eps=0.1,
        net_arch=[256, 256],
    ),
    "Acrobot-v1": dict(
        n_timesteps=1e5, learning_rate=6.3e-4, batch_size=128, buffer_size=50000,
        learning_starts=0, gamma=0.99, target_update_interval=250, train_freq=4,
        gradient_steps=-1, exploration_fraction=0.12, exploration_final_eps=0.1,
        net_arch=[256, 256],
    ),
}  # fmt: skip


@pytest.mark.parametrize("env_id", sorted(ZOO_DQN_YML))
def test_presets_are_the_zoos_published_settings(env_id):
    zoo = dict(ZOO_DQN_YML[env_id])
    config = Config.for_env(env_id)
    assert config.total_steps == int(zoo.pop("n_timesteps"))
    assert config.hidden_units == tuple(zoo.pop("net_arch"))
    # gradient_steps -1: as many gradient steps as environment steps per
    # training phase, train_freq of them.
    if zoo["gradient_steps"] == -1:
        zoo["gradient_steps"] = zoo["train_freq"]
    for name, value in zoo.items():
        assert getattr(config, name) == value, name
    # SB3's DQN: plain DQN, a constant rate, hard target copies, clipping at
    # 10, exploration from 1, one-step targets, uniform replay.
    assert not config.double_dqn and config.final_learning_rate is None
    assert (config.tau, config.max_grad_norm, config.exploration_initial_eps) == (
        1.0,
        10.0,
        1.0,
    )
    assert (config.n_step, config.dueling, config.prioritized) == (1, False, False)


def test_the_command_line_starts_another_environment_from_its_zoo_settings():
    # `--env_id Acrobot-v1` alone once ran CartPole's recipe (50k steps, a
    # solved return of 475 that Acrobot's returns, at most 0, never reach).
    acrobot = make_config("dqn_cartpole", overrides={"env_id": "Acrobot-v1"})
    assert acrobot == Config.for_env("Acrobot-v1")
    assert (acrobot.total_steps, acrobot.solved_return) == (100_000, -100.0)
    # Options given beside it still win; CartPole keeps this demo's recipe.
    short = make_config(
        "dqn_cartpole", overrides={"env_id": "MountainCar-v0", "total_steps": 7}
    )
    assert short.total_steps == 7 and short.gamma == 0.98
    assert make_config("dqn_cartpole", overrides={"env_id": "CartPole-v1"}) == Config()
    with pytest.raises(ConfigError, match="`env_id` must be one of"):
        make_config("dqn_cartpole", overrides={"env_id": "Pendulum-v1"})


def test_config_defaults_are_the_librarys_dqn_defaults():
    # One source of truth: the demo's run uses `train_dqn`'s own defaults, the
    # recipe whose full run solved 3 of 3 seeds (Double DQN, decay to 0).
    assert dqn_settings(Config()) == dqn_settings()
    assert Config().double_dqn is True and Config().final_learning_rate == 0.0
    # The zoo's plain settings stay one preset away.
    zoo = Config.for_env("CartPole-v1")
    assert zoo.double_dqn is False and zoo.final_learning_rate is None
