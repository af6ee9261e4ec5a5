"""Vision demos."""
