"""Word2Vec: shared checks, the logits and loss against NumPy, the CBOW gradient
rule of word2vec.c, the sparse SGD step against Keras's SGD on tape gradients,
and training that pulls co-occurring words together."""

import gc

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.models.word2vec import (
    NegativeSamplingLoss,
    Word2Vec,
    linear_decay_sgd,
)
from kerastoolkit.testing import check_compile_saving, run_layer_checks
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


def _step_batch(architecture, batch, seed=0):
    inputs = _inputs(architecture, batch=batch, seed=seed)
    if architecture == "cbow":
        inputs["words"][0, 1:] = -1  # one example with a single context word
    labels = np.tile(np.array([[1.0, 0.0, 0.0]], "float32"), (batch, 1))
    labels[::3, 2] = -1.0  # some masked negatives
    return inputs, labels


def _weights(model):
    return [keras.ops.convert_to_numpy(w) for w in model.weights]


def _model_for_steps(architecture, pairs_per_update, optimizer, fast=True):
    model = _trained_weights(
        Word2Vec(7, 5, architecture, pairs_per_update=pairs_per_update)
    )
    rng = np.random.default_rng(2)
    model.embeddings.assign(rng.standard_normal((7, 5)).astype("float32"))
    model.compile(optimizer=optimizer)
    if not fast:
        # Keras's own step: tape gradients and SGD's update.
        model._trains_by_sparse_sgd = lambda data: False
    return model


@pytest.mark.parametrize("architecture", ["skipgram", "cbow"])
def test_sparse_sgd_step_equals_keras_sgd_on_tape_gradients(architecture):
    inputs, labels = _step_batch(architecture, batch=9)
    losses, weights = [], []
    for fast in (True, False):
        model = _model_for_steps(architecture, 16, linear_decay_sgd(10, 0.1), fast)
        assert model._trains_by_sparse_sgd((inputs, labels)) == fast
        losses.append(model.train_on_batch(inputs, labels))
        weights.append(_weights(model))
        assert int(model.optimizer.iterations) == 1
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    for fast, keras_sgd in zip(*weights, strict=True):
        np.testing.assert_allclose(fast, keras_sgd, rtol=1e-5, atol=1e-6)
    start = _model_for_steps(architecture, 16, "sgd")
    assert not np.allclose(weights[0][0], _weights(start)[0])


@pytest.mark.parametrize("architecture", ["skipgram", "cbow"])
def test_a_step_applies_its_updates_of_pairs_per_update_pairs_in_turn(architecture):
    # 10 pairs in updates of 4: pairs 0-3, then 4-7, then 8-9 (padded).
    inputs, labels = _step_batch(architecture, batch=10)
    fast = _model_for_steps(architecture, 4, keras.optimizers.SGD(0.2))
    fast.train_on_batch(inputs, labels)
    keras_sgd = _model_for_steps(architecture, 4, keras.optimizers.SGD(0.2), fast=False)
    for start in (0, 4, 8):
        part = {k: v[start : start + 4] for k, v in inputs.items()}
        keras_sgd.train_on_batch(part, labels[start : start + 4])
    for a, b in zip(_weights(fast), _weights(keras_sgd), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    one_update = _model_for_steps(architecture, 16, keras.optimizers.SGD(0.2))
    one_update.train_on_batch(inputs, labels)
    assert not np.allclose(_weights(fast)[0], _weights(one_update)[0], atol=1e-6)


def test_a_model_trains_after_an_earlier_model_is_gone():
    # The compiled update must not keep referring to an earlier model's tables.
    inputs, labels = _step_batch("skipgram", batch=6)
    for _ in range(2):
        model = _model_for_steps("skipgram", 4, keras.optimizers.SGD(0.1))
        before = model.word_vectors()
        model.train_on_batch(inputs, labels)
        assert not np.allclose(model.word_vectors(), before)
        del model
        gc.collect()


def test_other_optimizers_and_metrics_take_the_keras_step():
    inputs, labels = _step_batch("skipgram", batch=6)
    for optimizer, metrics in (
        (keras.optimizers.Adam(0.01), None),
        (keras.optimizers.SGD(0.1, momentum=0.9), None),
        (keras.optimizers.SGD(0.1), ["mse"]),
    ):
        model = _trained_weights(Word2Vec(7, 5))
        model.compile(optimizer=optimizer, metrics=metrics)
        assert not model._trains_by_sparse_sgd((inputs, labels))
        before = model.word_vectors()
        logs = model.train_on_batch(inputs, labels, return_dict=True)
        assert np.isfinite(logs["loss"])
        assert not np.allclose(model.word_vectors(), before)


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
    with pytest.raises(ValueError, match="`pairs_per_update` must be a positive"):
        Word2Vec(10, pairs_per_update=0)


def test_a_reloaded_model_keeps_its_optimizer_and_loss(tmp_path):
    model = _trained_weights(Word2Vec(7, embedding_dim=5))
    model.compile(optimizer=linear_decay_sgd(10))
    inputs = _inputs("skipgram")
    labels = np.tile(np.array([[1.0, 0.0, -1.0]], "float32"), (3, 1))
    model.train_on_batch(inputs, labels)
    loaded = check_compile_saving(model, tmp_path, x=inputs, y=labels)
    assert isinstance(loaded.loss, NegativeSamplingLoss)
    assert int(loaded.optimizer.iterations) == 2  # 1 before saving, 1 checked
