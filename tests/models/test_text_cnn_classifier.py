"""TextCNNClassifier: shared checks, Kim's convolution and max-over-time
pooling against NumPy, padding that changes nothing, static and non-static
word vectors, and a raw-string SavedModel served without kerastoolkit."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.export import export_raw_text_classifier
from kerastoolkit.models import TextCNNClassifier
from kerastoolkit.testing import run_layer_checks, serving_process

SENTENCES = ["a fine , moving film", "dull", "a dull and lifeless remake of a film"]


@pytest.fixture
def token_ids():
    return np.array([[3, 5, 2, 7, 0, 0], [4, 0, 0, 0, 0, 0], [6, 2, 2, 3, 5, 1]])


def _model(**kwargs):
    keras.utils.set_random_seed(0)
    arguments = dict(embedding_dim=4, filter_widths=(2, 3), filters=3, dropout=0.5)
    return TextCNNClassifier(9, 2, **{**arguments, **kwargs})


def test_passes_the_shared_checks(token_ids, tmp_path):
    run_layer_checks(
        _model(),
        token_ids,
        tmp_path,
        more_inputs=[np.pad(token_ids[:2], [[0, 0], [0, 3]])],
    )


def _numpy_reference(model, token_ids):
    # Kim's features by loops: word vectors (zero for padding, and past the
    # sentence), every window that starts on a word, relu, max, dense.
    table = keras.ops.convert_to_numpy(model.embedding.embeddings)
    features = []
    for row in token_ids:
        length = max(int(np.sum(row != 0)), 1)
        vectors = table[row] * (row != 0)[:, None]
        pooled = []
        for width, convolution in zip(
            model.filter_widths, model.convolutions, strict=True
        ):
            kernel, bias = (keras.ops.convert_to_numpy(w) for w in convolution.weights)
            padded = np.concatenate([vectors, np.zeros((width - 1, vectors.shape[1]))])
            windows = [
                np.maximum(
                    np.einsum("wd,wdf->f", padded[i : i + width], kernel) + bias, 0
                )
                for i in range(length)
            ]
            pooled.append(np.max(windows, axis=0))
        features.append(np.concatenate(pooled))
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in model.head.weights)
    return np.stack(features) @ kernel + bias


def test_matches_a_numpy_reference_and_ignores_padding(token_ids):
    model = _model()
    outputs = keras.ops.convert_to_numpy(model(token_ids))
    np.testing.assert_allclose(outputs, _numpy_reference(model, token_ids), atol=1e-5)
    longer = np.pad(token_ids, [[0, 0], [0, 7]])
    np.testing.assert_allclose(model(longer), outputs, atol=1e-6)
    # A sentence shorter than the widest filter still has its features.
    np.testing.assert_allclose(model(token_ids[1:2, :1]), outputs[1:2], atol=1e-6)


def _one_step(model, token_ids):
    model.compile(
        optimizer=keras.optimizers.SGD(0.5),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(token_ids, np.array([1, 0, 0]), epochs=1, verbose=0)


def test_given_vectors_are_used_and_frozen_when_static(token_ids):
    vectors = np.random.default_rng(1).normal(size=(9, 4)).astype("float32")
    static = _model(embeddings=vectors, trainable_embeddings=False)
    np.testing.assert_array_equal(static.embedding.embeddings.numpy(), vectors)
    _one_step(static, token_ids)
    np.testing.assert_array_equal(static.embedding.embeddings.numpy(), vectors)
    assert static.head.kernel.numpy().any()
    non_static = _model(embeddings=vectors)
    _one_step(non_static, token_ids)
    assert not np.allclose(non_static.embedding.embeddings.numpy(), vectors)
    # Kim's max-norm constraint holds after the step.
    assert np.linalg.norm(non_static.head.kernel.numpy(), axis=0).max() <= 3.0 + 1e-6


def test_exported_for_raw_strings_serves_like_the_model(tmp_path):
    vectorizer = keras.layers.TextVectorization(
        max_tokens=30, output_sequence_length=10
    )
    vectorizer.adapt(SENTENCES)
    keras.utils.set_random_seed(2)
    model = TextCNNClassifier(
        vectorizer.vocabulary_size(),
        2,
        embedding_dim=4,
        filters=3,
        preprocessor=vectorizer,
    )
    expected = keras.ops.softmax(model(vectorizer(tf.constant(SENTENCES)))).numpy()
    path = export_raw_text_classifier(
        model, tmp_path / "cnn", examples=np.array(SENTENCES)
    )
    (served,) = serving_process().serve(path, {"sentences": np.array(SENTENCES)})
    np.testing.assert_allclose(served, expected, atol=1e-5)
    # The vocabulary travels in the config and in a .keras file.
    model.save(tmp_path / "cnn.keras")
    loaded = keras.saving.load_model(tmp_path / "cnn.keras")
    np.testing.assert_array_equal(
        loaded.preprocessor(tf.constant(SENTENCES)), vectorizer(tf.constant(SENTENCES))
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"vocabulary_size": 1}, "`vocabulary_size` must be"),
        ({"num_classes": 1}, "`num_classes` must be"),
        ({"filter_widths": (3, 0)}, r"`filter_widths\[1\]` must be a positive integer"),
        ({"dropout": 1.5}, "`dropout` must be"),
        (
            {"embeddings": np.zeros((9, 5))},
            r"must have shape .* \(9, 4\), got \(9, 5\)",
        ),
        ({"max_norm": -1.0}, "`max_norm` must be"),
        (
            {"trainable_embeddings": "yes"},
            "`trainable_embeddings` must be True or False",
        ),
    ],
)
def test_bad_arguments_are_named(arguments, message):
    base = dict(vocabulary_size=9, num_classes=2, embedding_dim=4)
    with pytest.raises(ValueError, match=message):
        TextCNNClassifier(**{**base, **arguments})
