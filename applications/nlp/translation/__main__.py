"""English-to-German translation on Multi30k: attention LSTM, Transformer, sacreBLEU."""

from applications.cli import main

main("translation")
