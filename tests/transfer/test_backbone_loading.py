"""load_backbone from a .keras file, a weights file, a keras-hub preset
directory and a keras.applications name; errors that name the misfit layer."""

import keras
import numpy as np
import pytest

from kerastoolkit.models.cnn_builders import plain_cnn
from kerastoolkit.transfer import load_backbone
from tests.transfer.conftest import tiny_classifier


def _features(backbone, x):
    return np.asarray(backbone(x[..., None].astype("float32") / 255.0))


def test_a_keras_file_of_a_classifier_gives_its_trained_backbone(batch, tmp_path):
    model = tiny_classifier()
    model.save(tmp_path / "task_a.keras")
    backbone = load_backbone(tmp_path / "task_a.keras")
    assert backbone.name == "plain_cnn"
    x, _ = batch
    np.testing.assert_allclose(
        _features(backbone, x), _features(model.backbone, x), atol=1e-6
    )


def test_a_weights_file_loads_into_the_architecture(batch, tmp_path):
    source = tiny_classifier().backbone
    source.save_weights(tmp_path / "backbone.weights.h5")
    keras.utils.set_random_seed(9)
    architecture = plain_cnn((8, 8, 1), filters=(4, 6, 8), convs_per_block=1)
    loaded = load_backbone(tmp_path / "backbone.weights.h5", architecture=architecture)
    x, _ = batch
    np.testing.assert_allclose(_features(loaded, x), _features(source, x), atol=1e-6)


def test_a_weights_file_of_another_shape_names_the_layer(tmp_path):
    tiny_classifier().backbone.save_weights(tmp_path / "backbone.weights.h5")
    other = plain_cnn((8, 8, 1), filters=(4, 6, 16), convs_per_block=1)
    with pytest.raises(
        ValueError,
        match=r"layer `block3_conv1` needs a weight of shape \(3, 3, 6, 16\) but the "
        r"file holds \(3, 3, 6, 8\)",
    ):
        load_backbone(tmp_path / "backbone.weights.h5", architecture=other)
    with pytest.raises(ValueError, match="needs `architecture`"):
        load_backbone(tmp_path / "backbone.weights.h5")


def test_a_keras_hub_preset_directory(tmp_path):
    import keras_hub

    backbone = keras_hub.models.ResNetBackbone(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[3],
        stackwise_num_filters=[64],
        stackwise_num_blocks=[1],
        stackwise_num_strides=[1],
        block_type="basic_block",
        use_pre_activation=True,
        image_shape=(16, 16, 1),
    )
    backbone.save_to_preset(tmp_path / "preset")
    loaded = load_backbone(tmp_path / "preset")
    assert isinstance(loaded, keras_hub.models.ResNetBackbone)
    x = np.random.default_rng(0).random((2, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), backbone.predict(x, verbose=0), atol=1e-5
    )


def test_a_keras_applications_name():
    backbone = load_backbone("MobileNetV2", input_shape=(32, 32, 3), alpha=0.35)
    assert backbone.output.shape == (None, 1, 1, 1280)
    with pytest.raises(ValueError, match="needs `input_shape`"):
        load_backbone("MobileNetV2")


def test_unknown_sources_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="`source` must be a .keras file"):
        load_backbone("not-a-model")
    with pytest.raises(FileNotFoundError, match="No saved model"):
        load_backbone(tmp_path / "missing.keras")
