"""Committed run records (`results/`) and the README tables rendered from them."""
