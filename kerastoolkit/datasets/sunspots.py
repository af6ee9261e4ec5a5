"""Yearly mean sunspot numbers 1700-2008, shipped with statsmodels.

Read from `statsmodels.datasets.sunspots.load_pandas()` (the `SUNACTIVITY`
column, 309 values), the classic series for autoregressive models.
"""

import numpy as np

from kerastoolkit.datasets import data_location

NUM_YEARS = 309
"""Years in the series, 1700-2008."""


def load_data():
    """Loads the yearly sunspot series as NumPy arrays.

    Returns:
        `(years, values)`: `years` `int64` of shape `(309,)`, 1700..2008 in
        order; `values` `float64` of shape `(309,)`, the yearly mean sunspot
        numbers.

    Raises:
        DatasetNotFoundError: if statsmodels is not installed.

    Example:

    >>> years, values = sunspots.load_data()
    >>> int(years[0]), float(values[0])
    (1700, 5.0)
    """
    try:
        from statsmodels.datasets import sunspots
    except ImportError as err:
        raise data_location.DatasetNotFoundError(
            "The sunspots series ships with statsmodels, which could not be "
            f"imported ({err}). Install the data extra: "
            f"{data_location.DATA_EXTRA_HINT}"
        ) from err
    frame = sunspots.load_pandas().data
    years = frame["YEAR"].to_numpy().astype(np.int64)
    return years, frame["SUNACTIVITY"].to_numpy(dtype=np.float64)
