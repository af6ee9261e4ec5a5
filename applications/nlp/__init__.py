"""Demos on text: character-level language models."""
