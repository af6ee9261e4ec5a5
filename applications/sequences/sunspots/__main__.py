"""Yearly sunspots: AR(k) against WaveNet and an LSTM on the last 35 years."""

from applications.cli import main

main("sunspots")
