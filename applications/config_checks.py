"""Checks of the fields the demos' configs share, built on the library's
`kerastoolkit.utils.argument_checks`.

Every demo's `Config.validate()` calls `check_run_fields` and then checks its
own fields; each check raises one `ValueError` naming the field, the value
received and what is allowed, which the runner reports as a config error
(exit code 2) before anything is written.
"""

from kerastoolkit.datasets import fashion_mnist
from kerastoolkit.training.distribution import STRATEGIES
from kerastoolkit.utils.argument_checks import (
    int_in_range,
    non_empty_string,
    number_in_range,
    one_of,
    positive_int,
    sequence_of,
)

# `keras.utils.set_random_seed` seeds NumPy's global generator, which takes
# seeds below 2**32.
MAX_SEED = 2**32 - 1


def check_run_fields(config, strategies=STRATEGIES, verbose=(0, 2)):
    """Checks `verbose`, `strategy`, `output_dir`, and `seed` and `export_dir`
    where the config has them.

    Args:
        config: a demo's config dataclass.
        strategies: the strategy names the demo accepts; by default every name
            `kerastoolkit.training.distribution.make_strategy` takes (checked
            by name: no strategy is created).
        verbose: the lowest and highest `verbose` level.
    """
    if hasattr(config, "seed"):
        int_in_range("seed", config.seed, 0, MAX_SEED)
    int_in_range("verbose", config.verbose, *verbose)
    one_of("strategy", config.strategy, strategies)
    non_empty_string("output_dir", config.output_dir)
    if hasattr(config, "export_dir"):
        non_empty_string("export_dir", config.export_dir)


def check_learning_rate(name, value):
    """A learning rate: a finite number >= 0 (0 switches learning off)."""
    return number_in_range(name, value, 0)


def check_subset_size(name, value, available, what):
    """A "use only the first N" field: 0 (all) or from 1 to `available`.

    Raises:
        ValueError: e.g. "`train_size` must be 0 (all) or from 1 to 60000 (the
            Fashion-MNIST training images), got 70000."
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (0 <= value <= available)
    ):
        raise ValueError(
            f"`{name}` must be 0 (all) or from 1 to {available} ({what}), "
            f"got {value!r}."
        )
    return value or available


def check_fashion_mnist_subsets(config):
    """`config.train_size` and `config.test_size` against Fashion-MNIST's
    splits; returns how many training images the config uses."""
    images = check_subset_size(
        "train_size",
        config.train_size,
        fashion_mnist.SPLIT_SIZES["train"],
        "the Fashion-MNIST training images",
    )
    check_subset_size(
        "test_size",
        config.test_size,
        fashion_mnist.SPLIT_SIZES["test"],
        "the Fashion-MNIST test images",
    )
    return images


def check_validation_split(value, examples, allow_none=False):
    """A share held out for validation, leaving both parts non-empty.

    Args:
        value: the split, in (0, 1) (or [0, 1) with `allow_none`).
        examples: how many examples it splits (after any `train_size`).
        allow_none: 0 means no validation set.

    Raises:
        ValueError: e.g. "`validation_split` must be a finite number in (0, 1),
            got 1.5." or "`validation_split`=0.0001 holds out no image of the
            2000: give at least 1/2000."
    """
    split = number_in_range(
        "validation_split", value, 0, 1, low_open=not allow_none, high_open=True
    )
    if split == 0:
        return split
    held_out = int(examples * split)
    if held_out < 1 or held_out >= examples:
        raise ValueError(
            f"`validation_split`={value!r} holds out {held_out} of the {examples} "
            f"training examples: both parts must hold at least one example."
        )
    return split


def check_plain_cnn_filters(filters, name="filters"):
    """The filters of `plain_cnn` blocks on 28x28 images: 1 to 4 blocks.

    Each block ends with a 2x2 max-pool: 28 -> 14 -> 7 -> 3 -> 1, and a fifth
    block would have nothing left to pool.
    """
    filters = sequence_of(name, filters, positive_int)
    if len(filters) > 4:
        raise ValueError(
            f"`{name}` must hold 1 to 4 filter counts (each block halves the "
            f"28x28 image), got {filters!r}."
        )
    return filters


def check_curve_steps(curve_steps, last_step, name="curve_steps"):
    """The steps after which learning curves are measured: at least one,
    each from 1 to `last_step - 1` (the networks' last step is measured
    anyway), no repeats."""
    return sequence_of(
        name,
        curve_steps,
        lambda field, value: int_in_range(field, value, 1, last_step - 1),
        unique=True,
    )
