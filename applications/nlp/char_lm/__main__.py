"""Character-level language models (LSTM and WaveNet) on Tiny Shakespeare."""

from applications.cli import main

main("char_lm")
