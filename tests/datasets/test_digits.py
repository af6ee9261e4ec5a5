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


def test_upsample_fills_the_frame_or_centres_an_mnist_sized_box():
    x, _ = digits.load_data()
    full = digits.upsample(x[:5])
    assert full.shape == (5, 28, 28) and full.dtype == np.float32
    assert 0.0 <= full.min() and full.max() <= 1.0
    # Bilinear resizing keeps each image's mean intensity (to about 5%).
    np.testing.assert_allclose(
        full.mean(axis=(1, 2)), x[:5].mean(axis=(1, 2)) / 16, rtol=0.05
    )
    boxed = digits.upsample(x[:5], box=20)
    assert not boxed[:, :4].any() and not boxed[:, 24:].any()
    assert not boxed[:, :, :4].any() and not boxed[:, :, 24:].any()
    assert boxed[:, 4:24, 4:24].max() > 0.9
    with pytest.raises(ValueError, match="`box` must be an integer from 1 to 28"):
        digits.upsample(x[:1], box=30)
    with pytest.raises(ValueError, match=r"`images` must have shape \(n, 8, 8\)"):
        digits.upsample(x[0])
