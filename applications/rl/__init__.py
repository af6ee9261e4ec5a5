"""Reinforcement learning demos: deep Q-learning on gymnasium environments."""
