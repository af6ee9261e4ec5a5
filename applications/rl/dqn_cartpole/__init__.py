"""DQN on CartPole-v1 (and Acrobot, MountainCar, Atari): 3 seeds, evaluation, export."""
