"""Deep Q-learning on gymnasium: replay buffers, Q-networks, the DQN agent,
environments and the explicit training loop.

Example:

```python
from kerastoolkit.rl import evaluate_policy, train_dqn

result = train_dqn(env_id="CartPole-v1", seed=0, double_dqn=True)
print(evaluate_policy(result["agent"], "CartPole-v1", episodes=100).mean())
result["agent"].export_policy("saved_models/cartpole_dqn")
```
"""

from kerastoolkit.rl.dqn_agent import DQNAgent, huber, linear_epsilon
from kerastoolkit.rl.prioritized_replay_buffer import PrioritizedReplayBuffer
from kerastoolkit.rl.q_network import (
    build_mlp_q_network,
    build_nature_cnn_q_network,
    build_q_network,
)
from kerastoolkit.rl.replay_buffer import ReplayBuffer
from kerastoolkit.utils.lazy_imports import lazy_attributes

# gymnasium (the `rl` extra) is imported when one of these is first used.
_LAZY = {
    "check_env_id": "kerastoolkit.rl.environments",
    "is_atari": "kerastoolkit.rl.environments",
    "make_env": "kerastoolkit.rl.environments",
    "DEFAULTS": "kerastoolkit.rl.training_loop",
    "dqn_settings": "kerastoolkit.rl.training_loop",
    "evaluate_policy": "kerastoolkit.rl.training_loop",
    "greedy_returns": "kerastoolkit.rl.training_loop",
    "train_dqn": "kerastoolkit.rl.training_loop",
}
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())

__all__ = [
    "DEFAULTS",
    "DQNAgent",
    "PrioritizedReplayBuffer",
    "ReplayBuffer",
    "build_mlp_q_network",
    "build_nature_cnn_q_network",
    "build_q_network",
    "check_env_id",
    "dqn_settings",
    "evaluate_policy",
    "greedy_returns",
    "huber",
    "is_atari",
    "linear_epsilon",
    "make_env",
    "train_dqn",
]
