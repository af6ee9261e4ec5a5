"""DQN on CartPole-v1 (and Acrobot, MountainCar, LunarLander, Atari): 3 seeds,
evaluation, export."""
