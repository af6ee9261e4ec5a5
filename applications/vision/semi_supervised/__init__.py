"""Learning from unlabelled images, then from few labels (see config.py)."""
