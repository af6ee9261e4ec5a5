"""Validation of arguments and data, with messages that name the argument."""

import math
import numbers

import keras
import numpy as np


def positive_int(name, value):
    """Returns `value` as an `int`, or raises if it is not a positive integer.

    Args:
        name: the argument's name, used in the message.
        value: the value received.

    Raises:
        ValueError: e.g. "`units` must be a positive integer, got -3."
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}.")
    return int(value)


def non_negative_int(name, value):
    """Returns `value` as an `int`, or raises if it is not an integer >= 0.

    Raises:
        ValueError: e.g. "`pad_id` must be a non-negative integer, got -1."
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative integer, got {value!r}.")
    return int(value)


def _is_real(value):
    return not isinstance(value, bool) and isinstance(value, numbers.Real)


def positive_number(name, value):
    """Returns `value` as a `float`, or raises if it is not a number > 0.

    Raises:
        ValueError: e.g. "`scale` must be a positive number, got 0."
    """
    if not _is_real(value) or not value > 0:
        raise ValueError(f"`{name}` must be a positive number, got {value!r}.")
    return float(value)


def non_negative_number(name, value):
    """Returns `value` as a `float`, or raises if it is not a number >= 0.

    Raises:
        ValueError: e.g. "`lambda_cycle` must be a non-negative number, got -1."
    """
    if not _is_real(value) or not value >= 0:
        raise ValueError(f"`{name}` must be a non-negative number, got {value!r}.")
    return float(value)


def rate(name, value):
    """Returns a rate in [0, 1) (dropout, a fraction) as a `float`, or raises.

    Raises:
        ValueError: e.g. "`dropout` must be a number in [0, 1), got 'high'." or
            "`dropout` must be in [0, 1), got 1.0."
    """
    if not _is_real(value):
        raise ValueError(f"`{name}` must be a number in [0, 1), got {value!r}.")
    if not 0 <= value < 1:
        raise ValueError(f"`{name}` must be in [0, 1), got {value!r}.")
    return float(value)


def _is_finite_real(value):
    return _is_real(value) and math.isfinite(value)


def _interval(low, high, low_open, high_open):
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high}"
    return ""


def number_in_range(
    name, value, low=None, high=None, *, low_open=False, high_open=False
):
    """Returns a finite number within bounds as a `float`, or raises.

    Args:
        name: the argument's name, used in the message.
        value: the value received.
        low, high: the bounds, or None for none.
        low_open, high_open: exclude the bound itself.

    Raises:
        ValueError: e.g. "`gamma` must be a finite number in [0, 1], got 5." or
            "`learning_rate` must be a finite number >= 0, got nan."
    """
    ok = _is_finite_real(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        bounds = _interval(low, high, low_open, high_open)
        raise ValueError(
            f"`{name}` must be a finite number{' ' + bounds if bounds else ''}, "
            f"got {value!r}."
        )
    return float(value)


def int_in_range(name, value, low=None, high=None):
    """Returns an integer within `[low, high]` as an `int`, or raises.

    Raises:
        ValueError: e.g. "`verbose` must be an integer from 0 to 2, got 3." or
            "`test_years` must be an integer <= 238, got 400."
    """
    ok = not isinstance(value, bool) and isinstance(value, numbers.Integral)
    if ok and low is not None:
        ok = value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        if low is not None and high is not None:
            bounds = f" from {low} to {high}"
        else:
            bounds = _interval(low, high, False, False)
            bounds = f" {bounds}" if bounds else ""
        raise ValueError(f"`{name}` must be an integer{bounds}, got {value!r}.")
    return int(value)


def one_of(name, value, choices):
    """Returns `value` if it is one of `choices`, or raises.

    Raises:
        ValueError: e.g. "`strategy` must be one of 'default', 'mirrored',
            'multi_worker', 'tpu', got 'bogus'."
    """
    choices = tuple(choices)
    if isinstance(value, bool) or value not in choices:
        if len(choices) == 1:
            allowed = repr(choices[0])
        else:
            allowed = "one of " + ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be {allowed}, got {value!r}.")
    return value


def sequence_of(name, values, check, *, min_length=1, unique=False):
    """Checks every entry of a tuple or list with `check`; returns a tuple.

    Each entry is checked as `check(f"{name}[{i}]", entry)`, so the message
    names the entry.

    Args:
        name: the argument's name, used in the message.
        values: a tuple or list.
        check: a check of this module, e.g. `positive_int`, or a callable
            `check(name, value) -> value`.
        min_length: the fewest entries allowed.
        unique: refuse repeated entries.

    Raises:
        ValueError: e.g. "`seeds` must hold at least 1 entry, got ().",
            "`filters[1]` must be a positive integer, got 0." or "`seeds` must
            not repeat an entry, got (0, 0)."
    """
    if isinstance(values, str) or not isinstance(values, tuple | list):
        raise ValueError(f"`{name}` must be a tuple, got {values!r}.")
    if len(values) < min_length:
        entries = "entry" if min_length == 1 else "entries"
        raise ValueError(
            f"`{name}` must hold at least {min_length} {entries}, got {values!r}."
        )
    checked = tuple(check(f"{name}[{i}]", value) for i, value in enumerate(values))
    if unique and len(set(checked)) != len(checked):
        raise ValueError(f"`{name}` must not repeat an entry, got {values!r}.")
    return checked


def non_empty_string(name, value):
    """Returns `value` if it is a string with a non-blank character, or raises.

    Raises:
        ValueError: e.g. "`output_dir` must be a non-empty string, got ''."
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"`{name}` must be a non-empty string, got {value!r}.")
    return value


def boolean(name, value):
    """Returns `value`, or raises if it is not a `bool`.

    Raises:
        ValueError: e.g. "`use_bias` must be True or False, got 'yes'."
    """
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be True or False, got {value!r}.")
    return value


def finite_array(name, value, *, ndim, min_length=1, shape_hint="", unit="entries"):
    """Returns data `value` as a float64 NumPy array after checking it.

    The one check for data handed to the closed-form fitters (PPCA, AR):
    rank, enough entries along the first axis, numbers only, finite values.

    Args:
        name: the argument's name, used in the message.
        value: an array-like.
        ndim: the rank required.
        min_length: the fewest entries along the first axis.
        shape_hint: what the axes are, for the message, e.g. "(samples, features)".
        unit: what the first axis counts, for the message, e.g. "samples".

    Raises:
        ValueError: e.g. "`x` must be a 2-D array (samples, features), got shape
            (4,)", "`x` must hold at least 2 samples, got 0", "`x` holds NaN or
            infinite values".
        TypeError: if the values are not numbers (strings, objects).
    """
    array = np.asarray(value)
    if array.ndim != ndim:
        hint = f" {shape_hint}" if shape_hint else ""
        raise ValueError(
            f"`{name}` must be a {ndim}-D array{hint}, got shape {array.shape}."
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold numbers, got dtype {array.dtype}.")
    if len(array) < min_length:
        raise ValueError(
            f"`{name}` must hold at least {min_length} {unit}, got {len(array)}."
        )
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` holds NaN or infinite values.")
    return array


def _dtype_name(value):
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        dtype = np.asarray(value).dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "USO":
        return "string"
    try:
        return keras.backend.standardize_dtype(dtype)
    except ValueError:
        return str(dtype)


def tensor_argument(name, value, *, ndim=None, kinds=("float",)):
    """Checks the dtype and rank of a tensor handed to a layer's `call`.

    Args:
        name: the argument's name, used in the message.
        value: a tensor, NumPy array or symbolic `KerasTensor`.
        ndim: the rank required, or None for any.
        kinds: the dtype families allowed: any of "float", "int" (signed and
            unsigned) and "bool".

    Raises:
        TypeError: e.g. "`inputs` must be a float tensor, got int32."
        ValueError: e.g. "`inputs` must have rank 3, got shape (2, 4)."
    """
    dtype = _dtype_name(value)
    kind = (
        "float"
        if "float" in dtype
        else "int"
        if "int" in dtype
        else "bool"
        if dtype == "bool"
        else dtype
    )
    if kind not in kinds:
        allowed = " or ".join(kinds)
        raise TypeError(f"`{name}` must be a {allowed} tensor, got {dtype}.")
    shape = tuple(getattr(value, "shape", np.shape(value)))
    if ndim is not None and len(shape) != ndim:
        raise ValueError(f"`{name}` must have rank {ndim}, got shape {shape}.")
