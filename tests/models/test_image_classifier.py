"""ImageClassifier and the CNN builders: shared checks, in-model preprocessing
against TensorFlow's image ops, training-only augmentation, and a SavedModel
that takes raw uint8 images and returns probabilities and class names."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.export import export_saved_model
from kerastoolkit.models.cnn_builders import (
    applications_backbone,
    plain_cnn,
    small_resnet,
)
from kerastoolkit.models.image_classifier import ChannelAdapter, ImageClassifier
from kerastoolkit.testing import (
    check_config_roundtrip,
    check_keras_saving,
    run_layer_checks,
    serving_process,
)

NAMES = ("cat", "dog", "bird")


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (4, 8, 8), dtype=np.uint8)


def _plain_classifier(**kwargs):
    keras.utils.set_random_seed(0)
    backbone = plain_cnn((8, 8, 1), filters=(4, 8))
    return ImageClassifier(backbone, 3, image_shape=(8, 8), class_names=NAMES, **kwargs)


def test_plain_cnn_classifier_passes_the_shared_checks(images, tmp_path):
    model = _plain_classifier(
        augmentation=[
            keras.layers.RandomFlip("horizontal"),
            keras.layers.RandomTranslation(0.2, 0.2),
        ],
        dropout=0.2,
    )
    run_layer_checks(model, images, tmp_path, more_inputs=[images[:3]])


def test_small_resnet_classifier_passes_the_shared_checks(images, tmp_path):
    keras.utils.set_random_seed(1)
    backbone = small_resnet((8, 8, 1), filters=(4, 8), blocks_per_stage=1)
    model = ImageClassifier(backbone, 3, image_shape=(8, 8), pooling="flatten")
    run_layer_checks(model, images, tmp_path)


def test_applications_backbone_from_a_weights_file_saves_and_reloads(tmp_path):
    # Grayscale 8x8 uint8 images in; MobileNetV2 wants 32x32 RGB in [-1, 1].
    # The config and .keras checks only: exporting and differentiating all of
    # MobileNetV2 would take most of the test budget, and the plain and ResNet
    # classifiers above run those checks through the same preprocessing code.
    keras.utils.set_random_seed(2)
    first = applications_backbone("MobileNetV2", (32, 32, 3), alpha=0.35)
    first.save_weights(tmp_path / "mobilenet.weights.h5")
    backbone = applications_backbone(
        "MobileNetV2",
        (32, 32, 3),
        weights=tmp_path / "mobilenet.weights.h5",
        alpha=0.35,
    )
    pixels = np.random.default_rng(6).uniform(-1, 1, (2, 32, 32, 3))
    np.testing.assert_allclose(
        backbone.predict(pixels, verbose=0), first.predict(pixels, verbose=0), atol=1e-5
    )
    model = ImageClassifier(
        backbone, 3, image_shape=(8, 8), scale=1 / 127.5, offset=-1.0
    )
    x = np.random.default_rng(2).integers(0, 256, (2, 8, 8), dtype=np.uint8)
    check_config_roundtrip(model, x, atol=1e-5)
    check_keras_saving(model, x, tmp_path, atol=1e-5)
    assert [layer.name for layer in model.layers][1:4] == [
        "rescaling",
        "channels",
        "resizing",
    ]
    with pytest.raises(ValueError, match="must name a keras.applications network"):
        applications_backbone("NoSuchNet", (32, 32, 3))


def test_preprocessing_matches_tensorflow_image_ops(images):
    # An independent reference: scale, gray -> RGB and resize with tf.image,
    # then the same backbone and head.
    keras.utils.set_random_seed(3)
    backbone = plain_cnn((12, 12, 3), filters=(4,))
    model = ImageClassifier(backbone, 3, image_shape=(8, 8), scale=1 / 255.0)
    x = tf.convert_to_tensor(images[..., None], tf.float32) / 255.0
    x = tf.image.resize(tf.image.grayscale_to_rgb(x), (12, 12), method="bilinear")
    features = tf.reduce_mean(backbone(x), axis=(1, 2))
    expected = model.head(features).numpy()
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, atol=1e-5)


def test_channel_adapter_matches_tensorflow_colour_conversions():
    rgb = np.random.default_rng(4).random((2, 5, 5, 3)).astype("float32")
    gray = ChannelAdapter(1)(rgb).numpy()
    np.testing.assert_allclose(gray, tf.image.rgb_to_grayscale(rgb), atol=1e-5)
    np.testing.assert_allclose(
        ChannelAdapter(3)(gray).numpy(),
        tf.image.grayscale_to_rgb(tf.constant(gray)).numpy(),
        atol=0,
    )
    rgba = np.concatenate([rgb, np.ones((2, 5, 5, 1), "float32")], axis=-1)
    np.testing.assert_array_equal(ChannelAdapter(3)(rgba).numpy(), rgb)
    with pytest.raises(ValueError, match="`channels` must be 1 or 3, got 2"):
        ChannelAdapter(2)


def test_augmentation_acts_in_training_only(images):
    model = _plain_classifier(augmentation=[keras.layers.RandomTranslation(0.3, 0.3)])
    inference = model.predict(images, verbose=0)
    # A plain call, an explicit training=False call and predict agree ...
    np.testing.assert_allclose(model(images).numpy(), inference, atol=1e-6)
    np.testing.assert_allclose(
        model(images, training=False).numpy(), inference, atol=1e-6
    )
    # ... and differ from a training call, where the images are shifted (the
    # BatchNormalization statistics differ too, so freeze them to isolate it).
    model.backbone.trainable = False
    shifted = model(images, training=True).numpy()
    assert np.abs(shifted - inference).max() > 1e-4


def test_serving_default_takes_raw_uint8_and_returns_probabilities_and_names(
    images, tmp_path
):
    model = _plain_classifier()
    path = export_saved_model(model, tmp_path, endpoints=model.serving_endpoints())
    expected = model.predict(images, verbose=0)
    for batch, probabilities in ((images[:1], expected[:1]), (images, expected)):
        names, served = serving_process().serve(path, {"images": batch})
        np.testing.assert_allclose(served, probabilities, atol=1e-5)
        assert names.dtype.kind == "S"
        assert [n.decode() for n in names] == [
            NAMES[i] for i in probabilities.argmax(axis=-1)
        ]
    # `serve` stays the plain model call (probabilities only).
    (served,) = serving_process().serve(path, [images], signature="serve")
    np.testing.assert_allclose(served, expected, atol=1e-5)
    assert model.predict_class_names(images) == [
        NAMES[i] for i in expected.argmax(axis=-1)
    ]


def test_images_of_any_size_are_resized_inside_the_model(tmp_path):
    keras.utils.set_random_seed(8)
    model = ImageClassifier(
        plain_cnn((8, 8, 1), filters=(4,)), 3, image_shape=(None, None)
    )
    rng = np.random.default_rng(8)
    small = rng.integers(0, 256, (2, 8, 8), dtype=np.uint8)
    large = rng.integers(0, 256, (3, 12, 12), dtype=np.uint8)
    path = export_saved_model(model, tmp_path, endpoints=model.serving_endpoints())
    for batch in (small, large):
        _, served = serving_process().serve(path, {"images": batch})
        np.testing.assert_allclose(served, model.predict(batch, verbose=0), atol=1e-5)
    resized = tf.image.resize(large[..., None].astype("float32") / 255.0, (8, 8))
    expected = model.head(tf.reduce_mean(model.backbone(resized), axis=(1, 2)))
    np.testing.assert_allclose(model.predict(large, verbose=0), expected, atol=1e-5)


def test_class_names_survive_keras_saving(tmp_path):
    model = _plain_classifier()
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.class_names == NAMES
    assert loaded.backbone.name == model.backbone.name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_classes": 1}, "`num_classes` must be an integer >= 2, got 1"),
        ({"class_names": ("a", "b")}, "must hold num_classes=3 names, got 2"),
        ({"class_names": ("a", "a", "b")}, "distinct non-empty strings"),
        ({"pooling": "mean"}, "`pooling` must be one of"),
        ({"image_shape": (8, 8, 2)}, "`image_shape` must be"),
        ({"dropout": 1.0}, r"`dropout` must be in \[0, 1\), got 1.0"),
        ({"augmentation": ["flip"]}, "`augmentation` must be a Keras layer"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    arguments = {"num_classes": 3, "image_shape": (8, 8), **kwargs}
    with pytest.raises(ValueError, match=message):
        ImageClassifier(plain_cnn((8, 8, 1), filters=(4,)), **arguments)


def test_backbone_must_be_a_functional_model():
    with pytest.raises(ValueError, match="`backbone` must be a functional"):
        ImageClassifier(keras.layers.Dense(3), 3)


def test_builders_name_their_blocks_and_shapes():
    cnn = plain_cnn((28, 28, 1), filters=(8, 16), convs_per_block=2)
    assert cnn.output.shape == (None, 7, 7, 16)
    assert [layer.name for layer in cnn.layers if "conv" in layer.name] == [
        "block1_conv1",
        "block1_conv2",
        "block2_conv1",
        "block2_conv2",
    ]
    resnet = small_resnet((28, 28, 1), filters=(8, 16, 32), blocks_per_stage=2)
    assert resnet.output.shape == (None, 7, 7, 32)
    assert "stage3_block2_conv2" in [layer.name for layer in resnet.layers]
    with pytest.raises(ValueError, match="`filters` must be a positive integer"):
        plain_cnn((28, 28, 1), filters=(8, 0))
    with pytest.raises(ValueError, match=r"`input_shape` must be \(height, width"):
        small_resnet((28, 28))


def test_pre_activation_block_is_identity_plus_residual():
    # With the second convolution of a same-shape block zeroed, the block is
    # exactly its identity shortcut: output = input.
    keras.utils.set_random_seed(5)
    resnet = small_resnet((6, 6, 1), filters=(4,), blocks_per_stage=1)
    block_input = resnet.get_layer("stem_conv").output
    block_output = resnet.get_layer("stage1_block1_add").output
    probe = keras.Model(resnet.inputs, [block_input, block_output])
    conv2 = resnet.get_layer("stage1_block1_conv2")
    conv2.kernel.assign(np.zeros(conv2.kernel.shape, "float32"))
    x = np.random.default_rng(5).random((2, 6, 6, 1)).astype("float32")
    before, after = probe.predict(x, verbose=0)
    np.testing.assert_allclose(after, before, atol=1e-6)


def test_efficientnet_backbone_classifies_raw_images():
    # EfficientNet rescales inside (it wants [0, 255]): scale=1 keeps pixels.
    backbone = applications_backbone("EfficientNetB0", (32, 32, 3))
    model = ImageClassifier(backbone, 3, image_shape=(32, 32, 3), scale=1.0)
    x = np.random.default_rng(7).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (2, 3)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)
