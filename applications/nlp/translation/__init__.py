"""English-to-German translation on Multi30k: attention LSTM, Transformer, sacreBLEU."""
