"""DQN solves CartPole-v1 (greedy return >= 475) within 50,000 steps, 3 seeds.

The defaults are the library's `kerastoolkit.rl.training_loop.DEFAULTS`:
rl-baselines3-zoo's DQN settings for CartPole-v1 with three changes, Double
DQN, the learning rate decayed linearly to 0, and each seed's run ending with
the weights whose greedy policy scored best in a 5-episode check every 5,000
steps (a solved policy can be lost late in training).
"""

import dataclasses

from applications.config_checks import MAX_SEED, check_learning_rate, check_run_fields
from kerastoolkit.rl.environments import check_env_id
from kerastoolkit.rl.training_loop import DEFAULTS
from kerastoolkit.utils.argument_checks import (
    boolean,
    non_negative_int,
    number_in_range,
    one_of,
    positive_int,
    sequence_of,
)

# rl-baselines3-zoo's DQN hyperparameters, checked value by value against
# DLR-RM/rl-baselines3-zoo hyperparams/dqn.yml (commit ce95481b; the zoo later
# renamed its LunarLander-v2 entry to LunarLander-v3, PR #495): plain DQN with
# a constant learning rate and the last weights kept, SB3's defaults elsewhere
# (tau 1, max_grad_norm 10, exploration from 1.0, one-step targets). For
# CartPole-v1 the Config defaults are these plus Double DQN, a learning rate
# decayed to 0 and the best of periodic greedy checks kept. The zoo's
# published DQN returns at these settings (its benchmark.md): CartPole-v1
# 500.0 +- 0.0, Acrobot-v1 -76.6 +- 11.8, MountainCar-v0 -100.8 +- 9.9,
# LunarLander-v2 154.4 +- 79.2.
_PLAIN_DQN = {"double_dqn": False, "final_learning_rate": None, "selection_interval": 0}
# The zoo's Acrobot-v1 entry, which its LunarLander entry repeats.
_ACROBOT = {
    **_PLAIN_DQN,
    "total_steps": 100_000,
    "learning_rate": 6.3e-4,
    "batch_size": 128,
    "buffer_size": 50_000,
    "learning_starts": 0,
    "gamma": 0.99,
    "target_update_interval": 250,
    "train_freq": 4,
    # The zoo's gradient_steps=-1 means "as many as environment steps".
    "gradient_steps": 4,
    "exploration_fraction": 0.12,
    "exploration_final_eps": 0.1,
    "hidden_units": (256, 256),
}
ZOO_SETTINGS = {
    "CartPole-v1": dict(_PLAIN_DQN),
    "Acrobot-v1": {**_ACROBOT, "solved_return": -100.0},
    "MountainCar-v0": {
        **_PLAIN_DQN,
        "total_steps": 120_000,
        "learning_rate": 4e-3,
        "batch_size": 128,
        "buffer_size": 10_000,
        "learning_starts": 1000,
        "gamma": 0.98,
        "target_update_interval": 600,
        "train_freq": 16,
        "gradient_steps": 8,
        "exploration_fraction": 0.2,
        "exploration_final_eps": 0.07,
        "hidden_units": (256, 256),
        "solved_return": -110.0,
    },
    # LunarLander-v3 (Box2D, installed with the project's rl extra).
    "LunarLander-v3": {**_ACROBOT, "solved_return": 200.0},
    # Atari (ALE/Pong-v5, ALE/Breakout-v5): the zoo's "atari" entry except
    # the buffer, 100,000 transitions where the zoo keeps 10,000 (with SB3's
    # optimize_memory_usage). The replay buffer of 100,000 uint8 transitions
    # takes 5.6 GB (observations and next observations, 4x84x84 each); 10M
    # steps take days on a CPU.
    "atari": {
        **_PLAIN_DQN,
        "total_steps": 10_000_000,
        "learning_rate": 1e-4,
        "batch_size": 32,
        "buffer_size": 100_000,
        "learning_starts": 100_000,
        "gamma": 0.99,
        "target_update_interval": 1000,
        "train_freq": 4,
        "gradient_steps": 1,
        "exploration_fraction": 0.1,
        "exploration_final_eps": 0.01,
        "seeds": (0,),
        "eval_episodes": 10,
        "checkpoint_interval": 100_000,
        "solved_return": 18.0,
    },
}
"""Per-environment settings; `Config.for_env(env_id)` applies them."""


@dataclasses.dataclass
class Config:
    # Gymnasium id: "CartPole-v1", "Acrobot-v1", "MountainCar-v0",
    # "LunarLander-v3", or an Atari game "ALE/Pong-v5" / "ALE/Breakout-v5"
    # (Nature CNN on 4 stacked 84x84 frames, clipped rewards). On the command
    # line another environment starts from its zoo settings
    # (`Config.for_env(env_id)`), its other options on top.
    env_id: str = DEFAULTS["env_id"]
    # Training seeds, one independent run each (each offset by `seed`).
    seeds: tuple[int, ...] = (0, 1, 2)
    # Environment steps per run.
    total_steps: int = DEFAULTS["total_steps"]
    # Adam's learning rate.
    learning_rate: float = DEFAULTS["learning_rate"]
    # Learning rate reached at the last gradient step by a linear decay (None:
    # constant, as in the zoo). Decaying to 0 lets the final policy settle:
    # with the zoo's constant rate the final greedy policy solved 2 of 3 seeds.
    final_learning_rate: float | None = DEFAULTS["final_learning_rate"]
    # Transitions per gradient step.
    batch_size: int = DEFAULTS["batch_size"]
    # Replay buffer capacity (transitions).
    buffer_size: int = DEFAULTS["buffer_size"]
    # Uniformly random steps before learning starts.
    learning_starts: int = DEFAULTS["learning_starts"]
    # Discount factor.
    gamma: float = DEFAULTS["gamma"]
    # Sync the target network every that many ENVIRONMENT steps (SB3's rule).
    target_update_interval: int = DEFAULTS["target_update_interval"]
    # Polyak coefficient of the target sync (1.0: hard copy).
    tau: float = DEFAULTS["tau"]
    # Run a training phase every that many environment steps.
    train_freq: int = DEFAULTS["train_freq"]
    # Gradient steps per training phase (one compiled call).
    gradient_steps: int = DEFAULTS["gradient_steps"]
    # Fraction of `total_steps` over which epsilon decays linearly.
    exploration_fraction: float = DEFAULTS["exploration_fraction"]
    # Epsilon at the first step.
    exploration_initial_eps: float = DEFAULTS["exploration_initial_eps"]
    # Epsilon after the decay.
    exploration_final_eps: float = DEFAULTS["exploration_final_eps"]
    # Hidden layer sizes of the MLP Q-network (Atari uses the Nature CNN).
    hidden_units: tuple[int, ...] = DEFAULTS["hidden_units"]
    # Dueling head: Q = V + A - mean(A).
    dueling: bool = DEFAULTS["dueling"]
    # Double DQN: the online network picks the bootstrap action (the zoo: False).
    double_dqn: bool = DEFAULTS["double_dqn"]
    # Length of the n-step returns (1: ordinary one-step targets).
    n_step: int = DEFAULTS["n_step"]
    # Global-norm gradient clipping threshold.
    max_grad_norm: float = DEFAULTS["max_grad_norm"]
    # Prioritized replay (proportional, alpha 0.6, beta 0.4) instead of uniform.
    prioritized: bool = DEFAULTS["prioritized"]
    # XLA-compile the update step: "auto" (yes, except convolutional networks
    # on CPU, where XLA was 14x slower), "true" or "false".
    jit_compile: str = DEFAULTS["jit_compile"]
    # Every that many environment steps (and at the last), the greedy policy
    # plays `selection_episodes` episodes on reset seeds of its own, and each
    # seed's run ends with the weights that scored best (0 = off: the last
    # weights). With the last weights, seeds 5 and 9 of 0-9 ended at 122 and
    # 154 (8 of 10 solved): a solved policy can be lost late in training.
    selection_interval: int = DEFAULTS["selection_interval"]
    # Greedy episodes of each selection (the same reset seeds every time).
    selection_episodes: int = DEFAULTS["selection_episodes"]
    # Greedy evaluation episodes per seed after training.
    eval_episodes: int = 100
    # Mean evaluation return that counts as solved (gymnasium's threshold).
    solved_return: float = 475.0
    # Write a resumable checkpoint every that many environment steps (0: only
    # at the end). A run interrupted with the same config resumes from it.
    checkpoint_interval: int = 10_000
    # Offset added to every training seed (and to the evaluation seeds).
    seed: int = 0
    # 1: a progress line per 10 episodes; 0: silent.
    verbose: int = 1
    # Where metrics, the learning curve, evaluation tables, TensorBoard logs,
    # checkpoints and the Q-networks (.keras) go.
    output_dir: str = "runs/dqn_cartpole"
    # SavedModel base directory of the greedy policy (versions 1, 2, ...).
    export_dir: str = "saved_models/dqn_cartpole"
    # Distribution strategy: DQN acts on one environment, only "default".
    strategy: str = "default"

    @classmethod
    def quick(cls):
        """The smallest run that learns: 6,000 steps of one seed with a small
        network and a longer exploration (the default recipe otherwise),
        about ten seconds of training. Its greedy policy balanced 126-336
        steps (seeds 0-9, 20 episodes each) where a random policy balances
        about 22 on the same episodes (the baseline the run computes). With
        `--env_id ALE/Pong-v5` it runs the Atari pipeline end to end, too
        short to learn: its guard fails and nothing is published."""
        return cls(
            seeds=(0,),
            total_steps=6000,
            # As large as the run: no transition is overwritten, as in the
            # full run, and an Atari run's buffer stays small.
            buffer_size=6000,
            exploration_fraction=0.25,
            hidden_units=(64, 64),
            eval_episodes=20,
            checkpoint_interval=3000,
        )

    @classmethod
    def defaults_for(cls, overrides):
        """The defaults of a run with these command-line `overrides`: this
        recipe on CartPole-v1, another environment's zoo settings
        (`for_env`) when `env_id` names one."""
        env_id = overrides.get("env_id", DEFAULTS["env_id"])
        return cls() if env_id == DEFAULTS["env_id"] else cls.for_env(env_id)

    @classmethod
    def for_env(cls, env_id):
        """The zoo settings of `env_id` (any "ALE/..." id takes the Atari ones)."""
        key = "atari" if env_id.startswith("ALE/") else env_id
        if key not in ZOO_SETTINGS:
            named = sorted(set(ZOO_SETTINGS) - {"atari"})
            raise ValueError(
                f"`env_id` must be one of {named} or an ALE id, got {env_id!r}."
            )
        return cls(env_id=env_id, **ZOO_SETTINGS[key])

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Checks every field; raises ValueError naming the first bad one."""
        # DQN acts on one environment: no distribution strategy applies.
        check_run_fields(self, strategies=("default",), verbose=(0, 1))
        check_env_id(self.env_id)
        seeds = sequence_of("seeds", self.seeds, non_negative_int, unique=True)
        if self.seed + max(seeds) > MAX_SEED:
            raise ValueError(
                f"`seed` + `seeds` must stay below 2**32, got {self.seed!r} + "
                f"{max(seeds)}."
            )
        positive_int("total_steps", self.total_steps)
        check_learning_rate("learning_rate", self.learning_rate)
        if self.final_learning_rate is None:
            # A constant rate (`DQNAgent` refuses 0; decay to 0 to switch
            # learning off).
            number_in_range("learning_rate", self.learning_rate, 0, low_open=True)
        else:
            check_learning_rate("final_learning_rate", self.final_learning_rate)
        positive_int("batch_size", self.batch_size)
        positive_int("buffer_size", self.buffer_size)
        non_negative_int("learning_starts", self.learning_starts)
        number_in_range("gamma", self.gamma, 0, 1)
        positive_int("target_update_interval", self.target_update_interval)
        number_in_range("tau", self.tau, 0, 1, low_open=True)
        positive_int("train_freq", self.train_freq)
        positive_int("gradient_steps", self.gradient_steps)
        number_in_range("exploration_fraction", self.exploration_fraction, 0, 1)
        number_in_range("exploration_initial_eps", self.exploration_initial_eps, 0, 1)
        number_in_range("exploration_final_eps", self.exploration_final_eps, 0, 1)
        sequence_of("hidden_units", self.hidden_units, positive_int)
        boolean("dueling", self.dueling)
        boolean("double_dqn", self.double_dqn)
        positive_int("n_step", self.n_step)
        number_in_range("max_grad_norm", self.max_grad_norm, 0, low_open=True)
        boolean("prioritized", self.prioritized)
        one_of("jit_compile", self.jit_compile, ("auto", "true", "false"))
        non_negative_int("selection_interval", self.selection_interval)
        positive_int("selection_episodes", self.selection_episodes)
        positive_int("eval_episodes", self.eval_episodes)
        number_in_range("solved_return", self.solved_return)
        non_negative_int("checkpoint_interval", self.checkpoint_interval)
