"""Runnable demos that use the kerastoolkit library (never the reverse).

`python -m applications` lists them; `python -m applications run NAME` runs one.
"""
