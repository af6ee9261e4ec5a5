"""freeze / unfreeze_top: frozen weights (BatchNormalization statistics too) do
not change in `fit`; unfrozen top blocks do; blocks are found by name."""

import keras
import pytest

from kerastoolkit.models.cnn_builders import small_resnet
from kerastoolkit.transfer import block_name, freeze, layer_blocks, unfreeze_top
from tests.transfer.conftest import changed, tiny_classifier, weights_of


def _fit(model, batch, learning_rate=0.05):
    model.compile(
        keras.optimizers.SGD(learning_rate), "sparse_categorical_crossentropy"
    )
    model.fit(*batch, epochs=2, batch_size=8, verbose=0)


def test_frozen_backbone_does_not_change_in_fit(batch):
    model = tiny_classifier()
    backbone_before = weights_of(model.backbone)
    head_before = weights_of(model.head)
    freeze(model.backbone)
    assert model.backbone.trainable_weights == []
    _fit(model, batch)
    # Kernels, gamma/beta and the moving statistics: BatchNormalization ran in
    # inference mode.
    assert not changed(backbone_before, weights_of(model.backbone))
    assert changed(head_before, weights_of(model.head))


def test_unfreeze_top_trains_only_the_top_block(batch):
    model = tiny_classifier()
    freeze(model.backbone)
    unfrozen = unfreeze_top(model.backbone, blocks=1)
    assert unfrozen == ["block3_conv1"]
    layers = {layer.name: layer for layer in model.backbone.layers}
    before = {name: weights_of(layer) for name, layer in layers.items()}
    _fit(model, batch)
    assert changed(before["block3_conv1"], weights_of(layers["block3_conv1"]))
    for name in ("block1_conv1", "block1_bn1", "block2_conv1", "block3_bn1"):
        assert not changed(before[name], weights_of(layers[name])), name


def test_unfreeze_top_can_let_batchnorm_train(batch):
    model = tiny_classifier()
    unfrozen = unfreeze_top(model.backbone, blocks=2, keep_batchnorm_frozen=False)
    assert unfrozen == ["block2_conv1", "block2_bn1", "block3_conv1", "block3_bn1"]
    bn = model.backbone.get_layer("block3_bn1")
    before = weights_of(bn)
    _fit(model, batch)
    assert changed(before, weights_of(bn))


def test_unfreeze_top_counts_layers_too():
    model = tiny_classifier()
    # The top four weight-bearing layers; the BatchNormalization among them stay
    # frozen.
    assert unfreeze_top(model.backbone, layers=4) == ["block2_conv1", "block3_conv1"]
    trainable = [w.path for w in model.backbone.trainable_weights]
    assert trainable == ["block2_conv1/kernel", "block3_conv1/kernel"]
    assert unfreeze_top(model.backbone, blocks=0) == []
    assert model.backbone.trainable_weights == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of `blocks` or `layers`"),
        ({"blocks": 1, "layers": 1}, "exactly one of `blocks` or `layers`"),
        ({"blocks": -1}, "`blocks` must be a non-negative integer, got -1"),
        ({"blocks": 4}, "`blocks`=4 is more than the 3 blocks"),
    ],
)
def test_unfreeze_top_rejects_bad_counts(kwargs, message):
    with pytest.raises(ValueError, match=message):
        unfreeze_top(tiny_classifier().backbone, **kwargs)


@pytest.mark.parametrize(
    ("layer", "block"),
    [
        ("block3_conv1", "block3"),
        ("stage2_block1_conv2", "stage2_block1"),
        ("block_16_project_BN", "block_16"),  # MobileNetV2
        ("block7a_se_reduce", "block7a"),  # EfficientNet
        ("conv5_block3_out", "conv5_block3"),  # ResNet50
        ("stack0_block0_1_conv", "stack0_block0"),  # keras-hub ResNet
        ("top_conv", "top_conv"),
        ("blockade", "blockade"),
    ],
)
def test_block_names_follow_keras_conventions(layer, block):
    assert block_name(layer) == block


def test_layer_blocks_group_a_resnet_by_block():
    resnet = small_resnet((8, 8, 1), filters=(4, 8), blocks_per_stage=1)
    names = [name for name, _ in layer_blocks(resnet)]
    assert names == ["stem_conv", "stage1_block1", "stage2_block1", "final_bn"]
