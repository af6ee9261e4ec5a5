"""MultiTaskModel: shared checks, the masked per-task loss against NumPy, masked
metrics, loss weights, saving with its compile config, and one SavedModel
signature with an output per task."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.export import export_saved_model
from kerastoolkit.models.multitask_model import MultiTaskModel
from kerastoolkit.testing import (
    check_compile_saving,
    run_layer_checks,
    serving_process,
)


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((5,), name="features")
    shared = keras.layers.Dense(6, activation="tanh", name="shared")(inputs)
    trunk = keras.Model(inputs, shared, name="trunk")
    heads = {
        "kind": keras.layers.Dense(3, activation="softmax", name="kind_head"),
        "size": keras.layers.Dense(1, name="size_head"),
    }
    return MultiTaskModel(trunk, heads)


def _compile(model, optimizer="sgd", loss_weights=None):
    model.compile(
        optimizer=optimizer,
        loss={"kind": "sparse_categorical_crossentropy", "size": "mse"},
        loss_weights=loss_weights or {"kind": 1.0, "size": 0.5},
        metrics={"kind": ["accuracy"], "size": ["mae"]},
    )
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5)).astype("float32")
    y = {
        # -1: no "kind" label; NaN: no "size" label.
        "kind": np.array([0, 2, -1, 1, -1, 2]),
        "size": np.array([[0.5], [np.nan], [1.5], [np.nan], [-1.0], [2.0]], "float32"),
    }
    return x, y


def test_multitask_model_passes_the_shared_checks(data, tmp_path):
    x, _ = data
    run_layer_checks(_model(), x, tmp_path, more_inputs=[x[:3]])


def test_loss_masks_missing_labels_like_numpy(data):
    x, y = data
    model = _compile(_model())
    predictions = model.predict(x, verbose=0)
    loss = float(model.compute_loss(x, y, predictions))
    # Reference: each task's mean over its labelled examples only.
    kind = y["kind"] >= 0
    probabilities = predictions["kind"][kind, y["kind"][kind]]
    kind_loss = -np.mean(np.log(probabilities))
    size = ~np.isnan(y["size"][:, 0])
    size_loss = np.mean((predictions["size"][size, 0] - y["size"][size, 0]) ** 2)
    np.testing.assert_allclose(loss, kind_loss + 0.5 * size_loss, rtol=1e-5)
    np.testing.assert_array_equal(
        model.label_mask(y["kind"]).numpy(), [1, 1, 0, 1, 0, 1]
    )


def test_loss_objects_and_functions_give_the_same_masked_loss(data):
    x, y = data
    model = _compile(_model())
    predictions = model.predict(x, verbose=0)
    expected = float(model.compute_loss(x, y, predictions))
    model.compile(
        optimizer="sgd",
        loss={
            "kind": keras.losses.SparseCategoricalCrossentropy(),
            "size": keras.losses.mean_squared_error,
        },
        loss_weights={"kind": 1.0, "size": 0.5},
    )
    assert float(model.compute_loss(x, y, predictions)) == pytest.approx(expected)


def test_masked_labels_give_no_gradient_to_their_head(data):
    x, y = data
    model = _compile(_model())
    unlabelled = {"kind": y["kind"], "size": np.full_like(y["size"], np.nan)}
    with tf.GradientTape() as tape:
        predictions = model(x, training=True)
        loss = model.compute_loss(x, unlabelled, predictions)
    head = model.heads["size"].kernel
    trunk = model.trunk.get_layer("shared").kernel
    size_gradient, trunk_gradient = tape.gradient(loss, [head, trunk])
    assert np.isfinite(float(loss))
    np.testing.assert_array_equal(size_gradient.numpy(), 0.0)
    assert np.abs(trunk_gradient.numpy()).max() > 0


def test_fit_leaves_the_head_of_an_unlabelled_task_unchanged(data):
    x, y = data
    model = _compile(_model())
    model(x)
    before = model.heads["kind"].kernel.numpy().copy()
    trunk_before = model.trunk.get_layer("shared").kernel.numpy().copy()
    only_size = {"kind": np.full(len(x), -1), "size": np.ones((len(x), 1), "float32")}
    history = model.fit(x, only_size, epochs=2, batch_size=3, verbose=0)
    np.testing.assert_array_equal(model.heads["kind"].kernel.numpy(), before)
    assert not np.allclose(model.trunk.get_layer("shared").kernel.numpy(), trunk_before)
    assert history.history["kind_loss"] == [0.0, 0.0]


def test_metrics_count_labelled_examples_only(data):
    x, y = data
    model = _compile(_model())
    predictions = model.predict(x, verbose=0)
    results = model.evaluate(x, y, batch_size=6, return_dict=True, verbose=0)
    kind = y["kind"] >= 0
    accuracy = np.mean(predictions["kind"][kind].argmax(-1) == y["kind"][kind])
    size = ~np.isnan(y["size"][:, 0])
    mae = np.mean(np.abs(predictions["size"][size, 0] - y["size"][size, 0]))
    assert results["kind_accuracy"] == pytest.approx(accuracy)
    assert results["size_mean_absolute_error"] == pytest.approx(mae, rel=1e-5)
    assert results["loss"] == pytest.approx(
        results["kind_loss"] + 0.5 * results["size_loss"], rel=1e-5
    )


def test_recompiling_replaces_the_metrics():
    model = _compile(_model())
    _compile(model, optimizer="adam", loss_weights={"kind": 2.0, "size": 1.0})
    names = [metric.name for metric in model.metrics]
    assert names == [
        "loss",
        "kind_loss",
        "size_loss",
        "kind_accuracy",
        "size_mean_absolute_error",
    ]


def test_keras_saving_keeps_the_compile_config(data, tmp_path):
    x, y = data
    model = _compile(_model(), optimizer="adam")
    model.fit(x, y, epochs=1, batch_size=3, verbose=0)
    # Loss weights, per-task metrics, Adam's state and the next step survive.
    check_compile_saving(model, tmp_path, x=x, y=y)


def test_saved_model_serves_one_output_per_task(data, tmp_path):
    x, _ = data
    model = _model()
    endpoints = model.serving_endpoints()
    model(x)
    path = export_saved_model(
        model,
        tmp_path,
        input_signature=endpoints["serving_default"][1],
        endpoints=endpoints,
    )
    expected = model.predict(x, verbose=0)
    kind, size = serving_process().serve(path, [x])  # sorted by output name
    np.testing.assert_allclose(kind, expected["kind"], atol=1e-6)
    np.testing.assert_allclose(size, expected["size"], atol=1e-6)
    loaded = tf.saved_model.load(str(path))
    outputs = loaded.signatures["serving_default"].structured_outputs
    assert sorted(outputs) == ["kind", "size"]


def test_bad_configurations_are_named(data):
    x, y = data
    trunk = keras.layers.Dense(4)
    with pytest.raises(ValueError, match="non-empty dict"):
        MultiTaskModel(trunk, {})
    with pytest.raises(ValueError, match="Task names must start with a letter"):
        MultiTaskModel(trunk, {"bad name": keras.layers.Dense(1)})
    model = _model()
    with pytest.raises(ValueError, match=r"tasks \['colour'\] the model has no head"):
        model.compile(loss={"kind": "mse", "size": "mse", "colour": "mse"})
    with pytest.raises(ValueError, match=r"no loss for the tasks \['size'\]"):
        model.compile(loss={"kind": "mse"})
    _compile(model)
    with pytest.raises(ValueError, match="`y` as a dict"):
        model.compute_loss(x, y["kind"], model(x))
