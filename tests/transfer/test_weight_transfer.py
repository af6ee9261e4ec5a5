"""copy_weights: task-A weights into a new task-B model, and a clear error that
names the layer when shapes do not match."""

import numpy as np
import pytest

from kerastoolkit.models.cnn_builders import plain_cnn
from kerastoolkit.models.image_classifier import ImageClassifier
from kerastoolkit.transfer import WeightShapeError, copy_weights
from tests.transfer.conftest import changed, tiny_classifier, weights_of


def test_copied_backbone_gives_the_same_features(batch):
    source = tiny_classifier(seed=0)
    target = tiny_classifier(seed=1)
    x, _ = batch
    features = np.asarray(source.backbone(x[..., None] / 255.0))
    copied = copy_weights(source.backbone, target.backbone)
    assert copied[:3] == ["block1_conv1", "block1_bn1", "block2_conv1"]
    np.testing.assert_allclose(
        np.asarray(target.backbone(x[..., None] / 255.0)), features, atol=1e-6
    )


def test_a_new_head_keeps_its_own_weights():
    source = tiny_classifier(seed=0)
    target = ImageClassifier(
        plain_cnn((8, 8, 1), filters=(4, 6, 8), convs_per_block=1),
        5,
        image_shape=(8, 8),
    )
    head = weights_of(target.head)
    # The 5-class head cannot take the 3-class head's weights ...
    with pytest.raises(WeightShapeError, match="layer `predictions`"):
        copy_weights(source, target)
    # ... but the backbone copies, leaving the head as it was.
    copy_weights(source.backbone, target.backbone)
    assert not changed(head, weights_of(target.head))


def test_shape_mismatch_names_the_layer_and_changes_nothing():
    source = tiny_classifier(filters=(4, 6, 8))
    target = tiny_classifier(seed=1, filters=(4, 5, 8))
    before = weights_of(target.backbone)
    with pytest.raises(
        WeightShapeError,
        match=r"layer `block2_conv1`: weight `kernel` has shape \(3, 3, 4, 6\) in "
        r"the source but \(3, 3, 4, 5\) in the target",
    ):
        copy_weights(source.backbone, target.backbone)
    assert not changed(before, weights_of(target.backbone))


def test_missing_layers_are_an_error_unless_skipped():
    source = plain_cnn((8, 8, 1), filters=(4, 6), convs_per_block=1)
    target = plain_cnn((8, 8, 1), filters=(4, 6, 8), convs_per_block=1)
    with pytest.raises(ValueError, match=r"no layers named \['block3_conv1'"):
        copy_weights(source, target)
    assert "block3_conv1" not in copy_weights(source, target, skip_missing=True)
