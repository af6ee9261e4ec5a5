"""The task pairs of the transfer demo: what is pretrained on (task A) and
what is then learnt from few labels (task B), with its validation and test
sets.

- `fashion_split`: within one domain. Task A: five Fashion-MNIST classes
  (T-shirt/top, trouser, pullover, sneaker, bag) with all their 30,000
  training labels. Task B: the other five (dress, coat, sandal, shirt, ankle
  boot), tested on their 5,000 official test images. Each task B class has a
  relative in task A (shirt and coat: T-shirt and pullover; sandal and boot:
  sneaker), and task B holds the classes that are hard to tell apart.
- `digits_style`: the same classes in another style. Task A: the MNIST 5k
  subset (pen digits, scanned, in a 20x20 box). Task B: scikit-learn's 8x8
  digits (UCI optdigits, counts of set pixels), upsampled to 28x28.
- `fashion_to_mnist`: the negative example. Task A: all of Fashion-MNIST;
  task B: MNIST digits. Clothes and digits share little beyond strokes.
"""

import numpy as np

from applications.vision.label_budget import (
    DIGIT_NAMES,
    DIGITS_SMALLEST_CLASS,
    DIGITS_TEST_PER_CLASS,
    split_per_class,
    upsampled_digits,
)
from kerastoolkit.datasets import fashion_mnist, mnist_5k

PAIRINGS = ("fashion_split", "digits_style", "fashion_to_mnist")
# Shown in tables and plots.
TITLES = {
    "fashion_split": "Fashion-MNIST, 5 classes -> the other 5",
    "digits_style": "MNIST 5k -> 8x8 sklearn digits upsampled",
    "fashion_to_mnist": "Fashion-MNIST -> MNIST 5k (negative example)",
}
SOURCE_CLASSES = (0, 1, 2, 7, 8)
TARGET_CLASSES = (3, 4, 5, 6, 9)
# Per class: the validation set of each task B, and the test sets of the
# two digit tasks (Fashion-MNIST has its official test split).
VALIDATION_PER_CLASS = {
    "fashion_split": 100,
    "digits_style": 20,
    "fashion_to_mnist": 50,
}
MNIST_TEST_PER_CLASS = 200
# MNIST 5k held out from pretraining on it, to measure task A.
MNIST_SOURCE_TEST_PER_CLASS = 50
# The most labels per class a budget may take from each task B's pool (the
# smallest class's pool: sklearn digits has 174 eights).
POOL_PER_CLASS = {
    "fashion_split": 6000 - VALIDATION_PER_CLASS["fashion_split"],
    "digits_style": DIGITS_SMALLEST_CLASS
    - DIGITS_TEST_PER_CLASS
    - VALIDATION_PER_CLASS["digits_style"],
    "fashion_to_mnist": mnist_5k.PER_CLASS
    - MNIST_TEST_PER_CLASS
    - VALIDATION_PER_CLASS["fashion_to_mnist"],
}
# How task A's images are augmented in pretraining: flips suit clothes,
# not digits.
SOURCE_AUGMENTATION = {
    "fashion_split": "flip",
    "digits_style": "shift",
    "fashion_to_mnist": "flip",
}


def _subset(x, y, index):
    return x[index], y[index]


def _pretraining_subset(x, y, size, seed):
    if not size or size >= len(x):
        return x, y
    order = np.random.default_rng(seed).permutation(len(x))[:size]
    return x[order], y[order]


def load_pairing(name, pretrain_size=0, data_dir=None, split_seed=0):
    """Task A and task B of pairing `name`, as raw uint8 (n, 28, 28) images.

    Args:
        name: one of `PAIRINGS`.
        pretrain_size: task A training images (0 = all).
        data_dir: where Fashion-MNIST is (None = the default places).
        split_seed: the seed of the fixed validation/test splits.

    Returns:
        A dict: `source` and `source_test` `(x, y)` with `source_names`;
        `pool`, `validation` and `test` `(x, y)` of task B with `target_names`
        (labels 0..k-1).
    """
    if name == "digits_style":
        return _digits_style(pretrain_size, split_seed)
    (fx, fy), (fx_test, fy_test) = fashion_mnist.load_data(data_dir=data_dir)
    names = fashion_mnist.CLASS_NAMES
    if name == "fashion_split":
        # Each task's labels become 0..4, in the order of its classes.
        relabel = np.full(10, -1)
        relabel[list(TARGET_CLASSES)] = np.arange(len(TARGET_CLASSES))
        relabel[list(SOURCE_CLASSES)] = np.arange(len(SOURCE_CLASSES))
        source = np.isin(fy, SOURCE_CLASSES)
        target = np.isin(fy, TARGET_CLASSES)
        x_b, y_b = fx[target], relabel[fy[target]]
        validation, pool = split_per_class(
            y_b, (VALIDATION_PER_CLASS[name],), split_seed
        )
        test = np.isin(fy_test, TARGET_CLASSES)
        source_test = np.isin(fy_test, SOURCE_CLASSES)
        return {
            "source": _pretraining_subset(
                fx[source], relabel[fy[source]], pretrain_size, split_seed
            ),
            "source_test": (fx_test[source_test], relabel[fy_test[source_test]]),
            "source_names": tuple(names[c] for c in SOURCE_CLASSES),
            "pool": _subset(x_b, y_b, pool),
            "validation": _subset(x_b, y_b, validation),
            "test": (fx_test[test], relabel[fy_test[test]]),
            "target_names": tuple(names[c] for c in TARGET_CLASSES),
        }
    if name == "fashion_to_mnist":
        mx, my = mnist_5k.load_data()
        test, validation, pool = split_per_class(
            my,
            (MNIST_TEST_PER_CLASS, VALIDATION_PER_CLASS[name]),
            split_seed,
        )
        return {
            "source": _pretraining_subset(fx, fy, pretrain_size, split_seed),
            "source_test": (fx_test, fy_test),
            "source_names": names,
            "pool": _subset(mx, my, pool),
            "validation": _subset(mx, my, validation),
            "test": _subset(mx, my, test),
            "target_names": DIGIT_NAMES,
        }
    raise ValueError(f"`pairing` must be one of {PAIRINGS}, got {name!r}.")


def _digits_style(pretrain_size, split_seed):
    mx, my = mnist_5k.load_data()
    source_test, source = split_per_class(
        my, (MNIST_SOURCE_TEST_PER_CLASS,), split_seed
    )
    sx, sy = upsampled_digits()
    test, validation, pool = split_per_class(
        sy,
        (DIGITS_TEST_PER_CLASS, VALIDATION_PER_CLASS["digits_style"]),
        split_seed,
    )
    return {
        "source": _pretraining_subset(
            mx[source], my[source], pretrain_size, split_seed
        ),
        "source_test": _subset(mx, my, source_test),
        "source_names": DIGIT_NAMES,
        "pool": _subset(sx, sy, pool),
        "validation": _subset(sx, sy, validation),
        "test": _subset(sx, sy, test),
        "target_names": DIGIT_NAMES,
    }
