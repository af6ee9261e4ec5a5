"""English-to-German translation on Multi30k: attention LSTM, Transformer, sacreBLEU."""

from applications.runner import main

main("translation")
