"""RecurrentTextClassifier: shared checks, the same outputs as Keras' own
bidirectional LSTM with the weights copied over, padding that changes
nothing, and a raw-string SavedModel served without kerastoolkit."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.export import export_raw_text_classifier
from kerastoolkit.layers import LSTM
from kerastoolkit.models import RecurrentTextClassifier
from kerastoolkit.testing import run_layer_checks, serving_process

SENTENCES = ["a fine , moving film", "dull", "a dull and lifeless remake of a film"]


@pytest.fixture
def token_ids():
    return np.array([[3, 5, 2, 7, 0], [4, 0, 0, 0, 0], [6, 2, 2, 3, 5]])


def _model(**kwargs):
    keras.utils.set_random_seed(0)
    arguments = dict(embedding_dim=4, units=3, dropout=0.3)
    return RecurrentTextClassifier(9, 2, **{**arguments, **kwargs})


def test_passes_the_shared_checks(token_ids, tmp_path):
    model = _model()
    assert isinstance(model.recurrent.forward_layer, LSTM)
    run_layer_checks(
        model,
        token_ids,
        tmp_path,
        more_inputs=[np.pad(token_ids[:2], [[0, 0], [0, 3]])],
    )


@pytest.mark.parametrize("bidirectional", [True, False])
def test_matches_keras_lstm_and_ignores_padding(token_ids, bidirectional):
    model = _model(bidirectional=bidirectional)
    outputs = keras.ops.convert_to_numpy(model(token_ids))
    # The reference: Keras' embedding with mask_zero, Keras' own LSTM (the
    # same weight layout), the same dense head.
    inputs = keras.Input((None,), dtype="int32")
    vectors = keras.layers.Embedding(9, 4, mask_zero=True)(inputs)
    lstm = keras.layers.LSTM(3)
    states = (
        keras.layers.Bidirectional(lstm)(vectors) if bidirectional else lstm(vectors)
    )
    reference = keras.Model(inputs, keras.layers.Dense(2)(states))
    reference.set_weights(model.get_weights())
    np.testing.assert_allclose(reference(token_ids), outputs, atol=1e-5)
    longer = np.pad(token_ids, [[0, 0], [0, 4]])
    np.testing.assert_allclose(model(longer), outputs, atol=1e-6)


def test_given_vectors_are_used_and_frozen_when_static(token_ids):
    vectors = np.random.default_rng(1).normal(size=(9, 4)).astype("float32")
    model = _model(embeddings=vectors, trainable_embeddings=False)
    np.testing.assert_array_equal(model.embedding.embeddings.numpy(), vectors)
    model.compile(
        optimizer=keras.optimizers.SGD(0.5),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model(token_ids)
    before = model.head.kernel.numpy().copy()
    model.fit(token_ids, np.array([1, 0, 0]), epochs=1, verbose=0)
    np.testing.assert_array_equal(model.embedding.embeddings.numpy(), vectors)
    assert not np.allclose(model.head.kernel.numpy(), before)


def test_exported_for_raw_strings_serves_like_the_model(tmp_path):
    vectorizer = keras.layers.TextVectorization(
        max_tokens=30, output_sequence_length=10
    )
    vectorizer.adapt(SENTENCES)
    keras.utils.set_random_seed(2)
    model = RecurrentTextClassifier(
        vectorizer.vocabulary_size(),
        3,
        embedding_dim=4,
        units=2,
        preprocessor=vectorizer,
    )
    expected = keras.ops.softmax(model(vectorizer(tf.constant(SENTENCES)))).numpy()
    path = export_raw_text_classifier(model, tmp_path / "lstm")
    (served,) = serving_process().serve(path, {"sentences": np.array(SENTENCES[:2])})
    np.testing.assert_allclose(served, expected[:2], atol=1e-5)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"units": 0}, "`units` must be a positive integer"),
        ({"bidirectional": 1}, "`bidirectional` must be True or False"),
        (
            {"embeddings": np.zeros((8, 4))},
            r"must have shape .* \(9, 4\), got \(8, 4\)",
        ),
        ({"embeddings": np.full((9, 4), np.nan)}, "`embeddings` must be finite"),
    ],
)
def test_bad_arguments_are_named(arguments, message):
    base = dict(vocabulary_size=9, num_classes=2, embedding_dim=4)
    with pytest.raises(ValueError, match=message):
        RecurrentTextClassifier(**{**base, **arguments})
