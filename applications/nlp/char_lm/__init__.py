"""Character-level language models (LSTM and WaveNet) on Tiny Shakespeare."""
