"""export_saved_model: TF Serving layout, atomic writes, nothing overwritten."""

import keras
import numpy as np
import pytest

from kerastoolkit.export import export_saved_model, next_version
from kerastoolkit.testing import serving_process


def _model():
    inputs = keras.Input((3,), name="features")
    return keras.Model(inputs, keras.layers.Dense(2, name="logits")(inputs))


def test_versions_count_up_and_serve(tmp_path):
    model = _model()
    first = export_saved_model(model, tmp_path / "m")
    second = export_saved_model(model, tmp_path / "m")
    assert (first.name, second.name) == ("1", "2")
    assert next_version(tmp_path / "m") == 3
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    (served,) = serving_process().serve(second, {"features": x})
    np.testing.assert_allclose(served, model.predict(x, verbose=0), atol=1e-6)


def test_existing_version_is_never_overwritten(tmp_path):
    model = _model()
    export_saved_model(model, tmp_path, version=3)
    marker = tmp_path / "3" / "keep.txt"
    marker.write_text("mine")
    with pytest.raises(FileExistsError, match="already exists"):
        export_saved_model(model, tmp_path, version=3)
    assert marker.read_text() == "mine"


def test_failed_export_leaves_no_partial_version(tmp_path):
    model = _model()

    def broken(x):
        raise RuntimeError("boom")

    spec = [keras.InputSpec(shape=(None, 3), dtype="float32")]
    with pytest.raises(RuntimeError, match="boom"):
        export_saved_model(model, tmp_path, endpoints={"broken": (broken, spec)})
    assert list(tmp_path.iterdir()) == []


def test_extra_endpoints_are_named_signatures(tmp_path):
    model = _model()
    spec = [keras.InputSpec(shape=(None, 3), dtype="float32")]
    path = export_saved_model(
        model, tmp_path, endpoints={"double": (lambda x: 2.0 * model(x), spec)}
    )
    x = np.ones((2, 3), "float32")
    (served,) = serving_process().serve(path, [x], signature="double")
    np.testing.assert_allclose(served, 2.0 * model.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize("version", [0, -1, "2", 1.5, True])
def test_bad_version_is_rejected(tmp_path, version):
    with pytest.raises(ValueError, match="`version` must be a positive integer"):
        export_saved_model(_model(), tmp_path, version=version)


def test_unbuilt_or_non_model_is_rejected(tmp_path):
    with pytest.raises(TypeError, match="`model` must be a keras.Model"):
        export_saved_model(keras.layers.Dense(2), tmp_path)
    with pytest.raises(ValueError, match="must be built"):
        export_saved_model(keras.Sequential([keras.layers.Dense(2)]), tmp_path)


def test_an_endpoint_named_serve_replaces_the_model_call_and_is_the_default(tmp_path):
    model = _model()
    spec = [keras.InputSpec(shape=(None, 3), dtype="float32", name="features")]
    endpoints = {
        "double": (lambda features: 2.0 * model(features), spec),
        # Listed second, still `serving_default`.
        "serve": (lambda features: {"logits": model(features)}, spec),
    }
    path = export_saved_model(model, tmp_path, endpoints=endpoints)
    x = np.ones((2, 3), "float32")
    server = serving_process()
    for signature in ("serve", "serving_default"):
        (served,) = server.serve(path, {"features": x}, signature=signature)
        assert server.last_output_names == ["logits"]
        np.testing.assert_allclose(served, model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="pass one of them, not both"):
        export_saved_model(model, tmp_path, input_signature=spec, endpoints=endpoints)
