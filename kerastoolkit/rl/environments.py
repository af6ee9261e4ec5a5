"""Gymnasium environments by name, with the standard Atari preprocessing."""

import functools

import gymnasium as gym
import numpy as np

CLASSIC_CONTROL = ("CartPole-v1", "Acrobot-v1", "MountainCar-v0")
ATARI = ("ALE/Pong-v5", "ALE/Breakout-v5")


def is_atari(env_id):
    """Whether `env_id` names an Arcade Learning Environment game."""
    return isinstance(env_id, str) and env_id.startswith("ALE/")


def check_env_id(env_id):
    """Returns `env_id` if gymnasium can make it for DQN, or raises.

    DQN needs a registered environment with a discrete action space. Atari
    ids (`ALE/...`) are registered by `ale-py`, which is imported here. The
    check makes the environment once (and closes it), so it reads no more
    than `make_env` would; the answer is cached per id.

    Raises:
        ValueError: naming the id and what is wrong, e.g. "`env_id` must be a
            registered gymnasium environment, got 'NoSuchEnv-v0' (...)", or
            "... `ALE/Pong-v5` needs the ale-py package: pip install ale-py".
    """
    if not isinstance(env_id, str) or not env_id:
        raise ValueError(f"`env_id` must be a gymnasium id string, got {env_id!r}.")
    return _check_env_id(env_id)


@functools.cache
def _check_env_id(env_id):
    if is_atari(env_id):
        try:
            import ale_py
        except ImportError as error:
            raise ValueError(
                f"`env_id` {env_id!r} is an Atari game, which needs the ale-py "
                f"package ({error}): pip install ale-py"
            ) from error
        gym.register_envs(ale_py)
    if env_id not in gym.envs.registry:
        raise ValueError(
            f"`env_id` must be a registered gymnasium environment, got {env_id!r} "
            f"(tested: {', '.join(CLASSIC_CONTROL + ATARI)})."
        )
    try:
        env = gym.make(env_id)
    except gym.error.DependencyNotInstalled as error:
        # Registered, but its simulator is an optional extra (LunarLander:
        # gymnasium[box2d]).
        raise ValueError(
            f"`env_id` {env_id!r} needs a package that is not installed: {error}"
        ) from error
    try:
        space = env.action_space
    finally:
        env.close()
    if not isinstance(space, gym.spaces.Discrete):
        raise ValueError(
            f"`env_id` must have discrete actions for DQN, got {env_id!r} with "
            f"action space {space}."
        )
    return env_id


def make_env(env_id, *, frame_stack=4, clip_rewards=True, max_episode_steps=None):
    """Makes a gymnasium environment by name, wrapped for DQN.

    Classic control (`CartPole-v1`, `Acrobot-v1`, `MountainCar-v0`) and Box2D
    (`LunarLander-v3`, with gymnasium[box2d]) come as registered (float
    observations, the registered time limit). An Atari game
    (`ALE/<Game>-v5`, through `ale-py`) gets the Nature-DQN preprocessing:

    - the ALE env is made with `frameskip=1`, so that `AtariPreprocessing`
      does the frame skipping (4 frames per action, max-pooling the last two
      frames against flicker) instead of the ALE skipping as well;
    - up to 30 no-op actions after reset, 84x84 grayscale frames (uint8);
    - `RecordEpisodeStatistics` before clipping, so `info["episode"]["r"]`
      holds the real game score;
    - rewards clipped to `sign(r)` in {-1, 0, 1};
    - the last `frame_stack` frames stacked: observations `[4, 84, 84]` uint8.

    v5 games keep their sticky actions (repeat probability 0.25), as in
    Machado et al. (2018). Every environment is seeded by its first
    `reset(seed=...)` call.

    Args:
        env_id: a gymnasium id, e.g. "CartPole-v1" or "ALE/Pong-v5".
        frame_stack: Atari frames per observation.
        clip_rewards: clip Atari rewards to their sign.
        max_episode_steps: optional time limit (default: the registered one).

    Returns:
        The `gymnasium.Env`.

    Example:

    ```python
    env = make_env("ALE/Pong-v5")
    observation, info = env.reset(seed=0)  # observation.shape == (4, 84, 84)
    ```

    References:
        Mnih et al., "Human-level control through deep reinforcement
        learning", Nature 2015. Machado et al., "Revisiting the Arcade Learning
        Environment", JAIR 2018.
    """
    if not isinstance(env_id, str) or not env_id:
        raise ValueError(f"`env_id` must be a gymnasium id string, got {env_id!r}.")
    kwargs = (
        {} if max_episode_steps is None else {"max_episode_steps": max_episode_steps}
    )
    if not is_atari(env_id):
        try:
            env = gym.make(env_id, **kwargs)
        except gym.error.DependencyNotInstalled as error:
            # Registered, but its simulator is an optional extra (LunarLander
            # needs Box2D): say so rather than call the id unknown.
            raise ImportError(
                f"`env_id` {env_id!r} needs an optional dependency: {error}"
            ) from error
        except gym.error.Error as error:
            raise ValueError(
                f"`env_id` {env_id!r} is not a registered gymnasium environment "
                f"(tested: {', '.join(CLASSIC_CONTROL + ATARI)})."
            ) from error
        return gym.wrappers.RecordEpisodeStatistics(env)
    import ale_py

    gym.register_envs(ale_py)
    env = gym.make(env_id, frameskip=1, **kwargs)
    env = gym.wrappers.AtariPreprocessing(
        env, noop_max=30, frame_skip=4, screen_size=84, grayscale_obs=True
    )
    env = gym.wrappers.RecordEpisodeStatistics(env)
    if clip_rewards:
        env = gym.wrappers.TransformReward(env, lambda r: float(np.sign(r)))
    return gym.wrappers.FrameStackObservation(env, frame_stack)
