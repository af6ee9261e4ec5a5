"""Tests of the 8x8 digits loader (shipped with scikit-learn)."""

import sys

import numpy as np
import pytest

from kerastoolkit.datasets import DatasetNotFoundError, digits


def test_shapes_dtypes_and_ranges():
    x, y = digits.load_data()
    assert x.shape == (1797, 8, 8) and x.dtype == np.uint8
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0 and x.max() == 16
    assert set(np.unique(y)) == set(range(10))


def test_first_example():
    x, y = digits.load_data()
    assert y[:10].tolist() == list(range(10))
    assert x[0, 0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]
    assert x[0, 7].tolist() == [0, 0, 6, 13, 10, 0, 0, 0]


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(
        DatasetNotFoundError, match=r'pip install "kerastoolkit\[data\]"'
    ):
        digits.load_data()
