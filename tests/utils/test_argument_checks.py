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


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: argument_checks.number_in_range("x", 0, 0), 0.0),
        (lambda: argument_checks.number_in_range("x", np.float32(1), 0, 1), 1.0),
        (lambda: argument_checks.number_in_range("x", -3, None, 0), -3.0),
        (lambda: argument_checks.number_in_range("x", 7), 7.0),
        (lambda: argument_checks.int_in_range("x", np.int64(2), 0, 2), 2),
        (lambda: argument_checks.int_in_range("x", -5, None, 0), -5),
        (lambda: argument_checks.one_of("x", "b", ("a", "b")), "b"),
        (
            lambda: argument_checks.sequence_of(
                "x", [1, np.int32(2)], argument_checks.positive_int
            ),
            (1, 2),
        ),
        (lambda: argument_checks.non_empty_string("x", "runs"), "runs"),
    ],
)
def test_range_and_choice_checks_accept_and_return(call, expected):
    value = call()
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: argument_checks.number_in_range("gamma", 5, 0, 1),
            r"^`gamma` must be a finite number in \[0, 1\], got 5\.$",
        ),
        (
            lambda: argument_checks.number_in_range("lr", math.nan, 0),
            r"^`lr` must be a finite number >= 0, got nan\.$",
        ),
        (
            lambda: argument_checks.number_in_range("x", math.inf),
            r"^`x` must be a finite number, got inf\.$",
        ),
        (
            lambda: argument_checks.number_in_range(
                "split", 0.0, 0, 1, low_open=True, high_open=True
            ),
            r"^`split` must be a finite number in \(0, 1\), got 0\.0\.$",
        ),
        (
            lambda: argument_checks.number_in_range("x", 1, None, 1, high_open=True),
            r"^`x` must be a finite number < 1, got 1\.$",
        ),
        (
            lambda: argument_checks.number_in_range("x", True, 0),
            r"`x` must be a finite number >= 0, got True",
        ),
        (
            lambda: argument_checks.number_in_range("x", "1", 0),
            r"`x` must be a finite number >= 0, got '1'",
        ),
        (
            lambda: argument_checks.int_in_range("verbose", 3, 0, 2),
            r"^`verbose` must be an integer from 0 to 2, got 3\.$",
        ),
        (
            lambda: argument_checks.int_in_range("x", 1.0, 0),
            r"^`x` must be an integer >= 0, got 1\.0\.$",
        ),
        (
            lambda: argument_checks.int_in_range("x", 9, None, 4),
            r"^`x` must be an integer <= 4, got 9\.$",
        ),
        (
            lambda: argument_checks.int_in_range("x", False, 0, 1),
            r"`x` must be an integer from 0 to 1, got False",
        ),
        (
            lambda: argument_checks.one_of("strategy", "bogus", ("default", "tpu")),
            r"^`strategy` must be one of 'default', 'tpu', got 'bogus'\.$",
        ),
        (
            lambda: argument_checks.one_of("strategy", "tpu", ("default",)),
            r"^`strategy` must be 'default', got 'tpu'\.$",
        ),
        (
            lambda: argument_checks.sequence_of(
                "seeds", (), argument_checks.non_negative_int
            ),
            r"^`seeds` must hold at least 1 entry, got \(\)\.$",
        ),
        (
            lambda: argument_checks.sequence_of(
                "filters", (8, 0), argument_checks.positive_int
            ),
            r"^`filters\[1\]` must be a positive integer, got 0\.$",
        ),
        (
            lambda: argument_checks.sequence_of(
                "seeds", (0, 0), argument_checks.non_negative_int, unique=True
            ),
            r"^`seeds` must not repeat an entry, got \(0, 0\)\.$",
        ),
        (
            lambda: argument_checks.sequence_of("x", "ab", argument_checks.one_of),
            r"^`x` must be a tuple, got 'ab'\.$",
        ),
        (
            lambda: argument_checks.non_empty_string("output_dir", " "),
            r"^`output_dir` must be a non-empty string, got ' '\.$",
        ),
    ],
)
def test_range_and_choice_checks_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
