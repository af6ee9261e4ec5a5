"""Character-level language models (LSTM and WaveNet) on Tiny Shakespeare."""

from applications.runner import main

main("char_lm")
