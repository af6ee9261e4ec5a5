"""fine_tune: phase 1 trains only the new head, phase 2 the top block too, at
the lower learning rate, with BatchNormalization kept frozen."""

import numpy as np
import pytest

from kerastoolkit.transfer import fine_tune, linear_probe
from tests.transfer.conftest import changed, tiny_classifier, weights_of


def test_two_phases_train_the_head_then_the_top_block(batch):
    model = tiny_classifier()
    layers = {layer.name: layer for layer in model.backbone.layers}
    before = {name: weights_of(layer) for name, layer in layers.items()}
    head = weights_of(model.head)
    x, y = batch
    histories = fine_tune(
        model,
        model.backbone,
        x,
        y,
        head_epochs=0,
        fine_tune_epochs=0,
        batch_size=8,
        verbose=0,
    )
    assert not changed(head, weights_of(model.head))  # zero epochs: nothing
    histories = fine_tune(
        model,
        model.backbone,
        x,
        y,
        head_epochs=2,
        fine_tune_epochs=0,
        head_learning_rate=0.05,
        batch_size=8,
        verbose=0,
    )
    assert sorted(histories) == ["head"]
    assert changed(head, weights_of(model.head))
    for name, layer in layers.items():
        assert not changed(before[name], weights_of(layer)), name

    histories = fine_tune(
        model,
        model.backbone,
        x,
        y,
        head_epochs=1,
        fine_tune_epochs=2,
        head_learning_rate=0.05,
        fine_tune_learning_rate=0.01,
        unfreeze_blocks=1,
        batch_size=8,
        verbose=0,
    )
    assert sorted(histories) == ["fine_tune", "head"]
    assert len(histories["fine_tune"]["loss"]) == 2
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    assert changed(before["block3_conv1"], weights_of(layers["block3_conv1"]))
    for name in ("block1_conv1", "block2_conv1", "block2_bn1", "block3_bn1"):
        assert not changed(before[name], weights_of(layers[name])), name
    assert np.isfinite(histories["fine_tune"]["loss"]).all()


def test_backbone_must_belong_to_the_model(batch):
    with pytest.raises(ValueError, match="must be a part of `model`"):
        fine_tune(tiny_classifier(), tiny_classifier(seed=1).backbone, *batch)
    with pytest.raises(ValueError, match="`head_epochs` must be a non-negative"):
        model = tiny_classifier()
        fine_tune(model, model.backbone, *batch, head_epochs=-1)


def test_batchnorm_of_unfrozen_blocks_can_adapt(batch):
    model = tiny_classifier()
    bn_top = model.backbone.get_layer("block3_bn1")
    bn_low = model.backbone.get_layer("block2_bn1")
    top, low = weights_of(bn_top), weights_of(bn_low)
    fine_tune(
        model,
        model.backbone,
        *batch,
        head_epochs=1,
        fine_tune_epochs=1,
        unfreeze_blocks=1,
        keep_batchnorm_frozen=False,
        batch_size=8,
        verbose=0,
    )
    assert changed(top, weights_of(bn_top))  # statistics and gamma/beta train
    assert not changed(low, weights_of(bn_low))


def test_linear_probe_trains_the_head_only_and_fine_tune_can_continue(batch):
    model = tiny_classifier()
    backbone_before = weights_of(model.backbone)
    head = weights_of(model.head)
    history = linear_probe(
        model, model.backbone, *batch, epochs=2, learning_rate=0.05, verbose=0
    )
    assert len(history["loss"]) == 2
    assert changed(head, weights_of(model.head))
    assert not changed(backbone_before, weights_of(model.backbone))
    # head_epochs=0: the probed head goes straight to phase 2.
    histories = fine_tune(
        model,
        model.backbone,
        *batch,
        head_epochs=0,
        fine_tune_epochs=1,
        unfreeze_blocks=3,
        verbose=0,
    )
    assert sorted(histories) == ["fine_tune"]
    assert changed(backbone_before, weights_of(model.backbone))
    with pytest.raises(ValueError, match="must be a part of `model`"):
        linear_probe(tiny_classifier(), tiny_classifier(seed=1).backbone, *batch)
