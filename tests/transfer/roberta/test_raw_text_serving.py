"""A RoBERTa classifier exported for raw strings, served in a process that
imports TensorFlow and tensorflow_text only, answers like the model in
process."""

import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.testing import serving_process
from kerastoolkit.testing.saved_model_serving import ServedRequestError
from kerastoolkit.transfer.roberta.checkpoints import load_roberta_classifier
from kerastoolkit.transfer.roberta.fine_tuning import predict_probabilities
from kerastoolkit.transfer.roberta.raw_text_serving import (
    RawTextClassifier,
    export_raw_text_classifier,
)
from tests.transfer.roberta.test_checkpoints import tiny_checkpoint

SENTENCES = [
    "A charming, funny film.",
    "it 's a dull and lifeless remake",
    "Two dogs run on the beach at sunset, barking happily at the waves.",
]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    return load_roberta_classifier(
        tiny_checkpoint(tmp_path_factory), 3, sequence_length=16
    )


def test_served_probabilities_equal_in_process(classifier, tmp_path):
    path = export_raw_text_classifier(classifier, tmp_path / "sentiment")
    assert path == tmp_path / "sentiment" / "1"
    expected = predict_probabilities(classifier, SENTENCES)
    server = serving_process()
    for batch in (SENTENCES[:1], SENTENCES):
        (served,) = server.serve(
            path, {"sentences": np.array(batch)}, imports=("tensorflow_text",)
        )
        assert server.last_output_names == ["probabilities"]
        assert served.shape == (len(batch), 3)
        np.testing.assert_allclose(served, expected[: len(batch)], atol=1e-5)
    # In process, the wrapper on a string tensor gives the same.
    model = RawTextClassifier(classifier)
    np.testing.assert_allclose(
        np.asarray(model(tf.constant(SENTENCES))), expected, atol=1e-5
    )
    # One sentence without its batch axis is refused, by name, at once.
    with pytest.raises(ServedRequestError) as caught:
        server.serve(
            path, {"sentences": np.array(SENTENCES[0])}, imports=("tensorflow_text",)
        )
    assert caught.value.error_type == "InvalidArgumentError"
    assert (
        "`sentences` must be a rank-1 tensor of shape (?), got shape []"
        in caught.value.message
    )
    assert caught.value.seconds < 1.0
    # Versions are numbered by export_saved_model (tests/export); an existing
    # one is never overwritten.
    with pytest.raises(FileExistsError, match="already exists"):
        export_raw_text_classifier(classifier, tmp_path / "sentiment", version=1)


def test_config_and_bad_input(classifier):
    import keras_hub

    config = RawTextClassifier(classifier).get_config()
    assert config["classifier"]["class_name"] == "RobertaTextClassifier"
    bare = keras_hub.models.RobertaTextClassifier(classifier.backbone, 2)
    with pytest.raises(ValueError, match="with a `preprocessor`"):
        RawTextClassifier(bare)
