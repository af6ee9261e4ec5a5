"""The shared argument checks: what they accept, return and reject."""

import math

import numpy as np
import pytest

from kerastoolkit.utils import argument_checks


@pytest.mark.parametrize(
    ("check", "accepted", "expected"),
    [
        (argument_checks.positive_int, np.int64(3), 3),
        (argument_checks.non_negative_int, 0, 0),
        (argument_checks.non_negative_int, np.int32(7), 7),
        (argument_checks.positive_number, 2, 2.0),
        (argument_checks.non_negative_number, 0, 0.0),
        (argument_checks.rate, 0, 0.0),
        (argument_checks.rate, np.float32(0.25), 0.25),
    ],
)
def test_accepted_values_come_back_as_python_numbers(check, accepted, expected):
    value = check("x", accepted)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("check", "rejected", "message"),
    [
        (argument_checks.positive_int, 0, "`x` must be a positive integer, got 0."),
        (argument_checks.positive_int, 2.0, "`x` must be a positive integer"),
        (argument_checks.non_negative_int, -1, "`x` must be a non-negative integer"),
        (argument_checks.non_negative_int, True, "`x` must be a non-negative integer"),
        (argument_checks.non_negative_int, "1", "`x` must be a non-negative integer"),
        (argument_checks.positive_number, 0.0, "`x` must be a positive number"),
        (argument_checks.positive_number, math.nan, "`x` must be a positive number"),
        (argument_checks.positive_number, "1", "`x` must be a positive number"),
        (argument_checks.non_negative_number, -0.5, "`x` must be a non-negative"),
        (argument_checks.non_negative_number, math.nan, "`x` must be a non-negative"),
        (argument_checks.non_negative_number, False, "`x` must be a non-negative"),
        (argument_checks.rate, 1.0, r"`x` must be in \[0, 1\), got 1.0."),
        (argument_checks.rate, -0.1, r"`x` must be in \[0, 1\)"),
        (argument_checks.rate, math.nan, r"`x` must be in \[0, 1\)"),
        (argument_checks.rate, "0.1", r"`x` must be a number in \[0, 1\), got '0.1'."),
        (argument_checks.rate, None, r"`x` must be a number in \[0, 1\)"),
    ],
)
def test_rejected_values_name_the_argument(check, rejected, message):
    with pytest.raises(ValueError, match=message):
        check("x", rejected)
