"""`load_saved_model` reports every truncated or damaged export by file name."""

import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.export import (
    CorruptSavedModelError,
    export_saved_model,
    load_saved_model,
)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(64), keras.layers.Dense(2)]
    )
    return export_saved_model(model, tmp_path_factory.mktemp("good") / "model")


def _data(path):
    (shard,) = path.glob("variables/variables.data-*")
    return shard.relative_to(path).as_posix()


def _truncate(fraction):
    def damage(path, name):
        target = path / name
        target.write_bytes(target.read_bytes()[: int(target.stat().st_size * fraction)])

    return damage


def _garble(path, name):
    target = path / name
    size = target.stat().st_size
    target.write_bytes(np.random.default_rng(0).bytes(size))


def _zero_middle(path, name):
    target = path / name
    data = bytearray(target.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 64] = bytes(64)
    target.write_bytes(bytes(data))


def _remove(path, name):
    (path / name).unlink()


DATA = "<data>"  # replaced by the data shard's name
CASES = {
    "saved_model.pb truncated": ("saved_model.pb", _truncate(0.5), "cannot be parsed"),
    "saved_model.pb empty": ("saved_model.pb", _truncate(0.0), "holds no MetaGraph"),
    "saved_model.pb garbled": ("saved_model.pb", _garble, "cannot be parsed"),
    "saved_model.pb zeroed in the middle": (
        "saved_model.pb",
        _zero_middle,
        "cannot be parsed",
    ),
    "saved_model.pb missing": ("saved_model.pb", _remove, "saved_model.pb is missing"),
    "variables.index truncated": (
        "variables/variables.index",
        _truncate(0.5),
        "cannot be read",
    ),
    "variables.index empty": (
        "variables/variables.index",
        _truncate(0.0),
        "cannot be read",
    ),
    "variables.index garbled": ("variables/variables.index", _garble, "cannot be read"),
    "variables.index missing": (
        "variables/variables.index",
        _remove,
        "variables/variables.index is missing",
    ),
    # The case: a raw `IndexError: Read less bytes than requested`.
    "variables.data truncated": (DATA, _truncate(0.9), "is truncated or garbled"),
    "variables.data empty": (DATA, _truncate(0.0), "is truncated or garbled"),
    "variables.data garbled": (DATA, _garble, "is truncated or garbled"),
    "variables.data zeroed in the middle": (
        DATA,
        _zero_middle,
        "is truncated or garbled",
    ),
    "variables.data missing": (DATA, _remove, r"variables\.data-\*\) are missing"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_export_raises_corrupt_saved_model_error_naming_the_file(
    good, tmp_path, case
):
    name, damage, message = CASES[case]
    path = tmp_path / "1"
    shutil.copytree(good, path)
    name = _data(path) if name == DATA else name
    damage(path, name)
    with pytest.raises(CorruptSavedModelError, match=message) as caught:
        load_saved_model(path)
    # The file by name (a missing shard by its pattern, variables.data-*).
    assert str(path) in str(caught.value) and name.split("-")[0] in str(caught.value)


def test_empty_folder_is_reported(tmp_path):
    with pytest.raises(CorruptSavedModelError, match="saved_model.pb is missing"):
        load_saved_model(tmp_path)


def test_intact_export_loads_and_serves(good):
    served = load_saved_model(good).signatures["serving_default"]
    (name,) = served.structured_input_signature[1]
    (output,) = served(**{name: tf.ones((2, 3))}).values()
    assert output.shape == (2, 2)


def test_a_failure_with_every_file_intact_is_not_called_corruption(good, monkeypatch):
    def fail(path):
        raise tf.errors.NotFoundError(None, None, "Op type not registered 'Custom'")

    monkeypatch.setattr(tf.saved_model, "load", fail)
    with pytest.raises(tf.errors.NotFoundError, match="Op type not registered"):
        load_saved_model(good)
