"""Validation of layer arguments, with messages that name the argument."""

import numbers


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


def boolean(name, value):
    """Returns `value`, or raises if it is not a `bool`.

    Raises:
        ValueError: e.g. "`use_bias` must be True or False, got 'yes'."
    """
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be True or False, got {value!r}.")
    return value
