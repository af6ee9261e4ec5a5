"""Tests of the yearly sunspots loader (shipped with statsmodels)."""

import sys

import numpy as np
import pytest

from kerastoolkit.datasets import DatasetNotFoundError, sunspots


def test_years_and_values():
    years, values = sunspots.load_data()
    assert years.shape == (309,) and years.dtype == np.int64
    assert values.shape == (309,) and values.dtype == np.float64
    assert sunspots.NUM_YEARS == len(values)
    np.testing.assert_array_equal(years, np.arange(1700, 2009))
    assert values[:3].tolist() == [5.0, 11.0, 16.0]
    assert values[-1] == 2.9
    assert values.min() >= 0


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "statsmodels.datasets", None)
    with pytest.raises(
        DatasetNotFoundError, match=r'pip install "kerastoolkit\[data\]"'
    ):
        sunspots.load_data()
