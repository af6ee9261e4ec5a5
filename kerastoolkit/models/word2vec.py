"""Word2Vec: skip-gram and CBOW word embeddings trained with negative sampling."""

import keras
from keras import ops

_ARCHITECTURES = ("skipgram", "cbow")


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}.")
    return value


@keras.saving.register_keras_serializable(package="kerastoolkit")
class NegativeSamplingLoss(keras.losses.Loss):
    """The negative-sampling objective of word2vec, summed over the batch.

        loss = -log sigmoid(u_c . h) - sum_k log sigmoid(-u_k . h)

    per example, from the logits `[u_c . h, u_1 . h, ...]` and labels 1 (the
    true word), 0 (a noise word) or -1 (masked: skipped). The default
    reduction is a sum, so one step of SGD with learning rate `alpha` moves
    each vector as `alpha` times the sum of its per-pair gradients, as
    word2vec.c's and gensim's per-pair updates do.

    Args:
        reduction: the Keras reduction over examples ("sum" by default).
        name: the loss name.
    """

    def __init__(self, reduction="sum", name="negative_sampling_loss", **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        mask = ops.cast(y_true >= 0, y_pred.dtype)
        # -log sigmoid(x) = softplus(-x); -log sigmoid(-x) = softplus(x).
        per_term = ops.softplus(y_pred) - ops.maximum(y_true, 0.0) * y_pred
        return ops.sum(per_term * mask, axis=-1)


def linear_decay_sgd(total_steps, initial_learning_rate=0.025, final=1e-4):
    """Plain SGD whose learning rate falls linearly to `final` over `total_steps`.

    word2vec.c and gensim decay `alpha` linearly from 0.025 to 0.0001 over
    the words of all epochs; one step here is a batch of sentences, so a
    linear schedule over the steps is the same decay at batch granularity.
    """
    schedule = keras.optimizers.schedules.PolynomialDecay(
        initial_learning_rate, max(int(total_steps), 1), final, power=1.0
    )
    return keras.optimizers.SGD(schedule)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Word2Vec(keras.Model):
    """Skip-gram or CBOW word vectors, trained by negative sampling.

    Two tables of vectors: `embeddings` (`v`, the word vectors one keeps,
    gensim's `wv`/`syn0`) and `context_embeddings` (`u`, gensim's
    `syn1neg`). For an input `h` and candidate words `t_0..t_K` (the true
    word first, then `K` noise words) the model returns the logits
    `u_{t_k} . h`, and `NegativeSamplingLoss` scores them as

        -log sigmoid(u_{t_0} . h) - sum_{k>=1} log sigmoid(-u_{t_k} . h)

    - skip-gram: `h = v_w`, the vector of one context word `w`, predicting the
      centre word (gensim's order: context input, centre output);
    - CBOW: `h = mean_j v_{w_j}` over the context words (gensim's
      `cbow_mean=1`). As in word2vec.c and gensim, every context word receives
      the full gradient of `h`, not `1/n` of it: the mean is taken in the
      forward pass only.

    The word2vec choices of the data side (frequent-word subsampling with
    threshold `sample`, the dynamic window drawn from `1..window`, noise
    words from the unigram distribution to the power 0.75, negatives equal to
    the true word skipped) live in
    `kerastoolkit.text.word2vec_dataset.word2vec_dataset`; the linear
    learning-rate decay 0.025 -> 0.0001 in `linear_decay_sgd`. Initialisation
    follows gensim: `v ~ U(-0.5 / dim, 0.5 / dim)`, `u = 0`.

    Args:
        vocabulary_size: positive integer, number of words.
        embedding_dim: positive integer, size of the vectors (gensim's
            `vector_size`).
        architecture: "skipgram" or "cbow".
        **kwargs: base model arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a dict with `"words"`, int indices `(batch,)` (skip-gram) or
            `(batch, contexts)` (CBOW, -1 pads), and `"targets"`, int
            indices `(batch, 1 + negatives)`.

    Returns:
        Logits `(batch, 1 + negatives)`.

    Example:

    >>> model = Word2Vec(len(vocabulary), embedding_dim=100)
    >>> model.compile(optimizer=linear_decay_sgd(epochs * steps))
    >>> model.fit(word2vec_dataset(encoded, vocabulary).repeat(epochs),
    ...           epochs=epochs, steps_per_epoch=steps)
    >>> vectors = model.word_vectors()

    References:
        Mikolov, Chen, Corrado and Dean, "Efficient Estimation of Word
        Representations in Vector Space", ICLR workshop 2013.
        Mikolov, Sutskever, Chen, Corrado and Dean, "Distributed
        Representations of Words and Phrases and their Compositionality",
        NeurIPS 2013.
    """

    def __init__(
        self, vocabulary_size, embedding_dim=100, architecture="skipgram", **kwargs
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = _positive("vocabulary_size", vocabulary_size)
        self.embedding_dim = _positive("embedding_dim", embedding_dim)
        if architecture not in _ARCHITECTURES:
            raise ValueError(
                f"`architecture` must be one of {_ARCHITECTURES}, got {architecture!r}."
            )
        self.architecture = architecture

    def build(self, input_shape=None):
        limit = 0.5 / self.embedding_dim
        self.embeddings = self.add_weight(
            shape=(self.vocabulary_size, self.embedding_dim),
            initializer=keras.initializers.RandomUniform(-limit, limit),
            name="embeddings",
        )
        self.context_embeddings = self.add_weight(
            shape=(self.vocabulary_size, self.embedding_dim),
            initializer="zeros",
            name="context_embeddings",
        )

    def call(self, inputs):
        words = ops.cast(inputs["words"], "int32")
        targets = ops.cast(inputs["targets"], "int32")
        if self.architecture == "skipgram":
            hidden = ops.take(self.embeddings, words, axis=0)
        else:
            valid = ops.cast(words >= 0, self.embeddings.dtype)
            vectors = ops.take(self.embeddings, ops.maximum(words, 0), axis=0)
            total = ops.sum(vectors * valid[..., None], axis=1)
            count = ops.maximum(ops.sum(valid, axis=1, keepdims=True), 1.0)
            # Forward: the mean; backward: the gradient of the sum.
            hidden = total - ops.stop_gradient(total - total / count)
        outputs = ops.take(self.context_embeddings, targets, axis=0)
        return ops.einsum("bd,bkd->bk", hidden, outputs)

    def compile(self, optimizer="sgd", loss=None, **kwargs):
        super().compile(
            optimizer=optimizer,
            loss=NegativeSamplingLoss() if loss is None else loss,
            **kwargs,
        )

    def compile_from_config(self, config):
        # `compile` is overridden (for its default loss), so Keras leaves the
        # reloading to us: the saved optimizer and loss come back as they were.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def word_vectors(self):
        """The word vectors `v` as a NumPy array `(vocabulary_size, embedding_dim)`."""
        if not self.built:
            self.build()
        return ops.convert_to_numpy(self.embeddings)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "architecture": self.architecture,
            }
        )
        return config
