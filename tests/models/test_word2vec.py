"""Word2Vec: shared checks, the logits and loss against NumPy, the CBOW gradient
rule of word2vec.c, and training that pulls co-occurring words together."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.models.word2vec import (
    NegativeSamplingLoss,
    Word2Vec,
    linear_decay_sgd,
)
from kerastoolkit.testing import run_layer_checks
from kerastoolkit.text.embedding_evaluation import nearest_neighbours
from kerastoolkit.text.vocabulary import Vocabulary
from kerastoolkit.text.word2vec_dataset import steps_per_epoch, word2vec_dataset


def _inputs(architecture, batch=3, seed=0):
    rng = np.random.default_rng(seed)
    shape = (batch,) if architecture == "skipgram" else (batch, 4)
    words = rng.integers(0, 7, shape).astype("int32")
    if architecture == "cbow":
        words[:, -1] = -1  # padding
    return {"words": words, "targets": rng.integers(0, 7, (batch, 3)).astype("int32")}


def _trained_weights(model):
    # Context vectors start at zero: give them values so the checks see signal.
    model(_inputs(model.architecture))
    rng = np.random.default_rng(1)
    model.context_embeddings.assign(rng.standard_normal((7, 5)).astype("float32"))
    return model


@pytest.mark.parametrize("architecture", ["skipgram", "cbow"])
def test_shared_checks(tmp_path, architecture):
    model = _trained_weights(Word2Vec(7, embedding_dim=5, architecture=architecture))
    run_layer_checks(
        model,
        _inputs(architecture),
        tmp_path,
        more_inputs=(_inputs(architecture, batch=32, seed=2),),
    )


@pytest.mark.parametrize("architecture", ["skipgram", "cbow"])
def test_logits_match_numpy(architecture):
    model = _trained_weights(Word2Vec(7, embedding_dim=5, architecture=architecture))
    inputs = _inputs(architecture)
    v = model.word_vectors()
    u = keras.ops.convert_to_numpy(model.context_embeddings)
    if architecture == "skipgram":
        hidden = v[inputs["words"]]
    else:
        hidden = np.stack([v[row[row >= 0]].mean(axis=0) for row in inputs["words"]])
    expected = np.einsum("bd,bkd->bk", hidden, u[inputs["targets"]])
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(inputs)), expected, rtol=1e-5, atol=1e-6
    )


def test_loss_is_the_negative_sampling_objective_with_masked_negatives():
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]], "float32")
    labels = np.array([[1.0, 0.0, 0.0], [1.0, -1.0, 0.0]], "float32")

    def log_sigmoid(x):
        return -np.log1p(np.exp(-x))

    expected = -(log_sigmoid(2.0) + log_sigmoid(1.0) + log_sigmoid(-0.5)) - (
        log_sigmoid(0.0) + log_sigmoid(2.0)
    )
    loss = NegativeSamplingLoss()(labels, logits)
    assert float(loss) == pytest.approx(expected, rel=1e-6)


def test_cbow_gives_each_context_word_the_full_gradient():
    model = _trained_weights(Word2Vec(7, embedding_dim=5, architecture="cbow"))
    inputs = {"words": np.array([[1, 2, -1, -1]]), "targets": np.array([[3, 4, 5]])}
    with tf.GradientTape() as tape:
        logits = model(inputs)
    gradient = tf.convert_to_tensor(tape.gradient(logits, model.embeddings)).numpy()
    u = keras.ops.convert_to_numpy(model.context_embeddings)
    # d(sum of logits)/dh = u_3 + u_4 + u_5, applied undivided to words 1 and 2.
    np.testing.assert_allclose(gradient[1], u[[3, 4, 5]].sum(0), rtol=1e-5)
    np.testing.assert_allclose(gradient[2], u[[3, 4, 5]].sum(0), rtol=1e-5)
    assert np.all(gradient[[0, 3, 4, 5, 6]] == 0)


def test_initialisation_follows_gensim():
    model = Word2Vec(50, embedding_dim=20)
    model.build()
    vectors = model.word_vectors()
    assert np.abs(vectors).max() <= 0.5 / 20 and vectors.std() > 0.005
    assert np.all(keras.ops.convert_to_numpy(model.context_embeddings) == 0)


@pytest.mark.parametrize("architecture", ["skipgram", "cbow"])
def test_training_pulls_words_of_the_same_topic_together(architecture):
    # Two topics that never share a sentence: neighbours come from one's own topic.
    rng = np.random.default_rng(0)
    topics = [[f"x{i}" for i in range(5)], [f"y{i}" for i in range(5)]]
    sentences = [list(rng.choice(topics[i % 2], 8)) for i in range(400)]
    vocabulary = Vocabulary.build(sentences, min_count=1)
    encoded = [vocabulary.encode(s) for s in sentences]
    keras.utils.set_random_seed(0)
    # Ten words: each is in most pairs of a batch, so batches stay small
    # (the summed per-pair updates of a large batch would overshoot).
    steps, epochs = steps_per_epoch(len(encoded), 2), 2
    model = Word2Vec(len(vocabulary), embedding_dim=8, architecture=architecture)
    model.compile(optimizer=linear_decay_sgd(steps * epochs))
    dataset = word2vec_dataset(
        encoded,
        vocabulary,
        architecture=architecture,
        window=2,
        sample=0,
        sentences_per_batch=2,
    )
    history = model.fit(
        dataset.repeat(),
        epochs=epochs,
        steps_per_epoch=steps,
        shuffle=False,
        verbose=0,
    )
    assert history.history["loss"][-1] < history.history["loss"][0]
    neighbours = nearest_neighbours(vocabulary.words, model.word_vectors(), "x0", k=4)
    assert all(word.startswith("x") for word, _ in neighbours), neighbours


def test_linear_decay_reaches_the_final_rate():
    optimizer = linear_decay_sgd(100)
    schedule = optimizer._learning_rate
    assert float(schedule(0)) == pytest.approx(0.025)
    assert float(schedule(50)) == pytest.approx((0.025 + 1e-4) / 2)
    assert float(schedule(100)) == pytest.approx(1e-4)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="`embedding_dim` must be a positive integer"):
        Word2Vec(10, embedding_dim=0)
    with pytest.raises(ValueError, match="`architecture` must be one of"):
        Word2Vec(10, architecture="glove")


def test_a_reloaded_model_keeps_its_optimizer_and_loss(tmp_path):
    model = _trained_weights(Word2Vec(7, embedding_dim=5))
    model.compile(optimizer=linear_decay_sgd(10))
    inputs = _inputs("skipgram")
    labels = np.tile(np.array([[1.0, 0.0, -1.0]], "float32"), (3, 1))
    model.train_on_batch(inputs, labels)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(loaded.loss, NegativeSamplingLoss)
    assert int(loaded.optimizer.iterations) == 1
    np.testing.assert_allclose(
        loaded.evaluate(inputs, labels, verbose=0),
        model.evaluate(inputs, labels, verbose=0),
        rtol=1e-6,
    )
