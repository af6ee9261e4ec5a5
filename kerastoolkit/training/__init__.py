"""Training support: callbacks, checkpoints and the BPTT teaching code."""
