"""Small labelled training sets for the transfer and multitask demos: a fixed
test split of the MNIST 5k subset, scikit-learn's digits upsampled to MNIST's
frame, and seeded draws of n labels per class."""

import numpy as np

from kerastoolkit.datasets import digits, mnist_5k

DIGIT_NAMES = tuple(str(d) for d in range(10))
# scikit-learn's digits held out per class for testing by the demos that
# learn them from few labels, and its smallest class (174 eights), which
# bounds the labelled pool per class.
DIGITS_TEST_PER_CLASS = 100
DIGITS_SMALLEST_CLASS = 174


def mnist_5k_split(test_per_class=200, split_seed=0):
    """The MNIST 5k subset split into a labelled pool and a fixed test set.

    Args:
        test_per_class: test images per digit (the rest form the pool).
        split_seed: the seed of the split, the same for every run and seed.

    Returns:
        `((x_pool, y_pool), (x_test, y_test))`: uint8 images `(n, 28, 28)` and
        int64 labels; 500 - `test_per_class` pool images per digit.
    """
    x, y = mnist_5k.load_data()
    rng = np.random.default_rng(split_seed)
    test = np.zeros(len(y), dtype=bool)
    for digit in range(10):
        (members,) = np.nonzero(y == digit)
        test[rng.choice(members, size=test_per_class, replace=False)] = True
    return (x[~test], y[~test]), (x[test], y[test])


def upsampled_digits():
    """scikit-learn's 8x8 digits upsampled to 28x28, drawn in a 20x20 box of
    the frame as MNIST's digits are.

    Returns:
        `(x, y)`: uint8 images `(1797, 28, 28)` in 0..255 and int64 labels.
    """
    small, y = digits.load_data()
    x = np.round(digits.upsample(small, size=28, box=20) * 255).astype(np.uint8)
    return x, y


def sample_per_class(labels, per_class, seed):
    """Indices of `per_class` examples of every class, drawn with `seed`.

    Returns:
        A shuffled integer array of `per_class * num_classes` indices.

    Raises:
        ValueError: when a class has fewer than `per_class` examples.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        (members,) = np.nonzero(labels == label)
        if len(members) < per_class:
            raise ValueError(
                f"Class {label} has {len(members)} examples, fewer than "
                f"per_class={per_class}."
            )
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return rng.permutation(np.concatenate(chosen))


def mean_and_std(values):
    """`(mean, standard deviation)` of a list of floats (std 0 for one value)."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def split_per_class(labels, sizes, seed):
    """Disjoint per-class draws: `sizes[k]` examples of every class in part k.

    Args:
        labels: integer labels.
        sizes: examples per class of each part, e.g. `(20, 100)`.
        seed: the seed of the draw.

    Returns:
        A tuple of `len(sizes) + 1` sorted index arrays: one per part, then
        the rest.

    Raises:
        ValueError: when a class has fewer than `sum(sizes)` examples.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    parts = [[] for _ in range(len(sizes) + 1)]
    for label in np.unique(labels):
        (members,) = np.nonzero(labels == label)
        if len(members) < sum(sizes):
            raise ValueError(
                f"Class {label} has {len(members)} examples, fewer than "
                f"the {sum(sizes)} the split {tuple(sizes)} needs."
            )
        members = rng.permutation(members)
        start = 0
        for part, size in zip(parts, sizes, strict=False):
            part.append(members[start : start + size])
            start += size
        parts[-1].append(members[start:])
    return tuple(np.sort(np.concatenate(part)) for part in parts)


def repeated_indices(count, total, seed):
    """`total` indices of `count` examples: shuffled passes, the last cut short.

    A few labelled examples repeated to `total` make one `fit` epoch of a
    fixed number of steps, whatever the label budget (many epochs of one
    step each would spend their time in Keras's per-epoch overhead).
    """
    rng = np.random.default_rng(seed)
    passes = -(-total // count)
    return np.concatenate([rng.permutation(count) for _ in range(passes)])[:total]
