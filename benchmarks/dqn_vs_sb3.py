"""DQN on CartPole-v1: kerastoolkit's agent against Stable-Baselines3's DQN.

Both train for the same budget (default 50,000 environment steps) with the
rl-baselines3-zoo hyperparameters of SB3's DQN on CartPole-v1: learning rate
2.3e-3 (constant), batch 64, buffer 100,000, learning_starts 1000, gamma 0.99,
target_update_interval 10, train_freq 256, gradient_steps 128,
exploration_fraction 0.16, final epsilon 0.04, MLP [256, 256], Huber loss,
gradient clipping at global norm 10, Adam (eps 1e-8), no Double DQN.

SB3 counts `target_update_interval` in environment steps: its `_on_step`
runs after every `env.step` and copies the online network into the target
when the call count is a multiple of the interval (tau = 1). Our loop does the
same (`kerastoolkit.rl.training_loop`), so with train_freq 256 the target
equals the online network at the start of each training phase and is fixed
during its 128 gradient steps.

For each seed, in the same process, one after the other: SB3 (PyTorch, CPU)
then ours (TensorFlow, XLA-compiled update). Wall time and process CPU time
are measured around model construction plus training; then each greedy policy
is evaluated over `--eval-episodes` episodes (reset seeds 1,000,000 + 1000 *
seed + i, the same for both). PyTorch's thread count is set to TensorFlow's
intra- and inter-op pool sizes (`--threads`, default 1: on a 2-core machine
shared with other jobs, 2 PyTorch threads made SB3 5x slower in wall time
than in CPU time, its OpenMP pool waiting on busy cores).
Prints per seed and medians, and the ratios ours / SB3.
Goal: equal or better return in no more wall time.

    python benchmarks/dqn_vs_sb3.py [--seeds 0 1 2] [--steps 50000]
        [--eval-episodes 100] [--threads 1] [--json PATH] [--record [RESULTS_DIR]]

`--record` writes the run's record (command, commit, packages, machine, load
during the run, every seed's figures) into `results/benchmarks/dqn_vs_sb3.json`,
from which the README's sentence is rendered
(`python -m applications results --write`).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# This checkout's `applications` (run records), not an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from applications.results import RESULTS_DIR, BenchmarkRun

ZOO = {
    "learning_rate": 2.3e-3,
    "batch_size": 64,
    "buffer_size": 100_000,
    "learning_starts": 1000,
    "gamma": 0.99,
    "target_update_interval": 10,
    "train_freq": 256,
    "gradient_steps": 128,
    "exploration_fraction": 0.16,
    "exploration_final_eps": 0.04,
}


def _version(package):
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "(version unknown)"


def evaluate(choose_action, episodes, seed):
    """Greedy returns over `episodes` CartPole-v1 episodes (reset seeds
    1,000,000 + 1000 * seed + i)."""
    import gymnasium as gym
    import numpy as np

    env = gym.make("CartPole-v1")
    returns = []
    for i in range(episodes):
        observation, _ = env.reset(seed=1_000_000 + 1000 * seed + i)
        total, done = 0.0, False
        while not done:
            observation, reward, terminated, truncated, _ = env.step(
                choose_action(observation)
            )
            total += reward
            done = terminated or truncated
        returns.append(total)
    env.close()
    return float(np.mean(returns))


def run_sb3(seed, steps, episodes):
    import gymnasium as gym
    from stable_baselines3 import DQN

    wall, cpu = time.perf_counter(), time.process_time()
    model = DQN(
        "MlpPolicy",
        gym.make("CartPole-v1"),
        policy_kwargs={"net_arch": [256, 256]},
        seed=seed,
        device="cpu",
        verbose=0,
        **ZOO,
    )
    model.learn(total_timesteps=steps)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    score = evaluate(
        lambda o: int(model.predict(o, deterministic=True)[0]), episodes, seed
    )
    return {"wall_s": wall, "cpu_s": cpu, "eval_return": score}


def run_ours(seed, steps, episodes):
    from kerastoolkit.rl.training_loop import train_dqn

    settings = dict(ZOO, exploration_initial_eps=1.0, hidden_units=(256, 256))
    wall, cpu = time.perf_counter(), time.process_time()
    result = train_dqn(
        seed=seed,
        total_steps=steps,
        double_dqn=False,
        final_learning_rate=None,
        # SB3's model is its last weights (no EvalCallback here).
        selection_interval=0,
        **settings,
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    score = evaluate(result["agent"].greedy_action, episodes, seed)
    return {"wall_s": wall, "cpu_s": cpu, "eval_return": score}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument(
        "--record",
        nargs="?",
        const=str(RESULTS_DIR),
        metavar="RESULTS_DIR",
        help="write the run record into RESULTS_DIR/benchmarks/dqn_vs_sb3.json "
        "(default RESULTS_DIR: the checkout's results/)",
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    import tensorflow as tf
    import torch

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    torch.set_num_threads(args.threads)
    print(
        f"CartPole-v1, {args.steps} steps, seeds {args.seeds}, "
        f"{args.eval_episodes} greedy evaluation episodes; threads: TensorFlow "
        f"intra/inter-op {args.threads}, torch.set_num_threads({args.threads}); "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    results = {"sb3": [], "ours": []}
    with BenchmarkRun("dqn_vs_sb3", argv) as timing:
        for seed in args.seeds:
            for name, run in (("sb3", run_sb3), ("ours", run_ours)):
                result = run(seed, args.steps, args.eval_episodes)
                results[name].append(result)
                print(
                    f"seed {seed}  {name:>4}: wall {result['wall_s']:7.1f} s  cpu "
                    f"{result['cpu_s']:7.1f} s  eval return "
                    f"{result['eval_return']:6.1f}",
                    flush=True,
                )
    medians = {
        name: {
            key: statistics.median(r[key] for r in runs)
            for key in ("wall_s", "cpu_s", "eval_return")
        }
        for name, runs in results.items()
    }
    for name, median in medians.items():
        print(
            f"median {name:>4}: wall {median['wall_s']:7.1f} s  cpu "
            f"{median['cpu_s']:7.1f} s  eval return {median['eval_return']:6.1f}"
        )
    ratios = {
        key: medians["ours"][key] / medians["sb3"][key]
        for key in ("wall_s", "cpu_s", "eval_return")
    }
    print(
        f"ratio ours / SB3: wall time {ratios['wall_s']:.2f}, CPU time "
        f"{ratios['cpu_s']:.2f}, eval return {ratios['eval_return']:.2f}"
    )
    if args.json:
        with open(args.json, "w") as file:
            json.dump(
                {
                    "args": vars(args),
                    "results": results,
                    "medians": medians,
                    "ratios": ratios,
                },
                file,
                indent=2,
            )
    if args.record:
        names = {"wall_seconds": "wall_s", "cpu_seconds": "cpu_s"}
        names["eval_return"] = "eval_return"
        timing.write(
            args.record,
            ours="kerastoolkit.rl DQN (train_dqn, XLA update)",
            reference=f"Stable-Baselines3 {_version('stable-baselines3')} DQN",
            # One pair per seed, in --seeds order.
            repetitions={
                side: {
                    figure: [r[key] for r in results[name]]
                    for figure, key in names.items()
                }
                for side, name in (("ours", "ours"), ("reference", "sb3"))
            },
            details={"arguments": vars(args), "zoo_settings": ZOO},
        )


if __name__ == "__main__":
    main()
