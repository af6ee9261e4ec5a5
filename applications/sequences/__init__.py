"""Demos on sequences: recurrent networks on time series and signals."""
