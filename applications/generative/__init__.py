"""Generative demos."""
