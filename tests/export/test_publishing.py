"""Publishing staged exports: next free version, atomic, healthy only."""

import keras
import numpy as np
import pytest

from kerastoolkit.export import export_saved_model, publishing
from kerastoolkit.export.health_check import (
    UnhealthyExportError,
    check_export_health,
    export_health_problems,
)


def staged_export(root, poison=False):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    if poison:
        kernel, bias = model.layers[-1].get_weights()
        kernel[0, 0] = np.nan
        model.layers[-1].set_weights([kernel, bias])
    return export_saved_model(
        model, root, examples={"serving_default": np.ones((2, 3), "float32")}
    )


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    return staged_export(tmp_path_factory.mktemp("staged"))


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory):
    return staged_export(tmp_path_factory.mktemp("poisoned"), poison=True)


def test_a_healthy_export_passes_and_a_nan_weight_fails(healthy, poisoned):
    assert export_health_problems(healthy) == []
    check_export_health(healthy)
    problems = export_health_problems(poisoned)
    assert any("non-finite" in p and "variable" in p for p in problems)
    # The stored example answers are NaN too.
    assert any(p.startswith("example answer serving_default") for p in problems)
    with pytest.raises(UnhealthyExportError, match="not fit to serve"):
        check_export_health(poisoned)


def test_publish_takes_the_next_version_and_keeps_the_others(tmp_path):
    serving = tmp_path / "serving"
    first = publishing.publish_version(staged_export(tmp_path / "a"), serving)
    second = publishing.publish_version(staged_export(tmp_path / "b"), serving)
    assert (first.name, second.name) == ("1", "2")
    assert (first / "saved_model.pb").is_file()
    assert not (tmp_path / "a" / "1").exists()  # moved, not copied


def test_a_version_taken_meanwhile_is_skipped(tmp_path, monkeypatch):
    serving = tmp_path / "serving"
    taken = publishing.publish_version(staged_export(tmp_path / "a"), serving)
    before = sorted(p.name for p in taken.iterdir())
    # Another run published version 1 after this one looked: it gets 2.
    monkeypatch.setattr(publishing, "next_version", lambda root: 1)
    published = publishing.publish_version(staged_export(tmp_path / "b"), serving)
    assert published.name == "2"
    assert sorted(p.name for p in taken.iterdir()) == before


def test_an_unhealthy_export_is_not_published(tmp_path):
    staged = staged_export(tmp_path / "staged", poison=True)
    with pytest.raises(UnhealthyExportError):
        publishing.publish_version(staged, tmp_path / "serving")
    assert staged.is_dir()
    assert not (tmp_path / "serving" / "1").exists()


def test_staged_versions_finds_nested_exports(tmp_path):
    staged_export(tmp_path / "transformer")
    staged_export(tmp_path / "seq2seq")
    found = publishing.staged_versions(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "seq2seq/1",
        "transformer/1",
    ]
