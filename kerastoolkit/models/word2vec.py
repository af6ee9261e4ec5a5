"""Word2Vec: skip-gram and CBOW word embeddings trained with negative sampling."""

import keras
from keras import ops

from kerastoolkit.utils.argument_checks import positive_int

_ARCHITECTURES = ("skipgram", "cbow")


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

    Training: compiled with plain `SGD` (no momentum, weight decay or
    clipping) and `NegativeSamplingLoss`, `fit` takes a fast step on the
    TensorFlow backend: the gradients written out by hand and added in
    place to the rows they touch (sparse scatter-adds, as gensim's threads
    write them, instead of dense gradient tables), in XLA-compiled updates of
    `pairs_per_update` pairs applied one after the other within a step. It is
    the same SGD as Keras's step on each update (tested to 1e-5). Any other
    optimizer, loss, metric or a distribution strategy takes Keras's own step.

    Args:
        vocabulary_size: positive integer, number of words.
        embedding_dim: positive integer, size of the vectors (gensim's
            `vector_size`).
        architecture: "skipgram" or "cbow".
        pairs_per_update: positive integer, the most pairs summed into one
            SGD update by the fast step (a batch is split into consecutive
            updates of this many). gensim updates after every pair; a sum of
            many per-pair updates, all computed at the same point, moves a
            frequent word too far at once (12,000 pairs per update diverged on
            the demo's corpus; 1,024 trains as gensim does).
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
        self,
        vocabulary_size,
        embedding_dim=100,
        architecture="skipgram",
        pairs_per_update=1024,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = positive_int("vocabulary_size", vocabulary_size)
        self.embedding_dim = positive_int("embedding_dim", embedding_dim)
        if architecture not in _ARCHITECTURES:
            raise ValueError(
                f"`architecture` must be one of {_ARCHITECTURES}, got {architecture!r}."
            )
        self.architecture = architecture
        self.pairs_per_update = positive_int("pairs_per_update", pairs_per_update)

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

    def train_step(self, data):
        if not self.built:
            self.build()
        if not self._trains_by_sparse_sgd(data):
            return super().train_step(data)
        return _sparse_sgd_step(self, data)

    def _trains_by_sparse_sgd(self, data):
        """Whether `fit` can take the fast path: plain SGD on the summed loss."""
        if keras.backend.backend() != "tensorflow":
            return False
        import tensorflow as tf

        optimizer = self.optimizer
        _, _, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        return (
            type(optimizer) is keras.optimizers.SGD
            and not optimizer.momentum
            and not optimizer.nesterov
            and not optimizer.weight_decay
            and optimizer.clipnorm is None
            and optimizer.clipvalue is None
            and optimizer.global_clipnorm is None
            and not optimizer.use_ema
            and not optimizer.loss_scale_factor
            and not optimizer.gradient_accumulation_steps
            and type(self.loss) is NegativeSamplingLoss
            and self.loss.reduction == "sum"
            and getattr(self, "_compile_metrics", None) is None
            and sample_weight is None
            and not self.losses
            and self.trainable
            and self.embeddings.trainable
            and self.context_embeddings.trainable
            and not tf.distribute.has_strategy()
        )

    def word_vectors(self):
        """The word vectors `v` as a NumPy array `(vocabulary_size, embedding_dim)`."""
        if not self.built:
            self.build()
        return ops.convert_to_numpy(self.embeddings)

    def serving_endpoints(self):
        """Named SavedModel signatures, for `kerastoolkit.export.export_saved_model`.

        - `serve(words, targets)` (also `serving_default`): int32 `words`,
          `(batch,)` for skip-gram or `(batch, contexts)` for CBOW, and
          `targets` `(batch, candidates)`, to `{"logits": (batch,
          candidates)}`. Indices must be in `[0, vocabulary_size - 1]`
          (CBOW `words` may be -1, padding): an index out of range fails with
          `InvalidArgumentError` naming the input, where the lookup would
          wrap -1 around to the last word.

        Returns:
            A dict from endpoint name to `(function, input_signature)`.
        """
        import tensorflow as tf

        from kerastoolkit.export import input_checks

        if not self.built:
            self.build()
        last = self.vocabulary_size - 1
        skipgram = self.architecture == "skipgram"

        def logits(words, targets):
            words = input_checks.check_range(
                "words",
                words,
                0 if skipgram else -1,
                last,
                "word indices" if skipgram else "word indices (-1 pads)",
            )
            targets = input_checks.check_range(
                "targets", targets, 0, last, "word indices"
            )
            return {"logits": self({"words": words, "targets": targets})}

        signature = [
            tf.TensorSpec((None,) if skipgram else (None, None), tf.int32, "words"),
            tf.TensorSpec((None, None), tf.int32, name="targets"),
        ]
        return {"serve": (logits, signature)}

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "architecture": self.architecture,
                "pairs_per_update": self.pairs_per_update,
            }
        )
        return config


def _sparse_sgd_step(model, data):
    """One `fit` step of plain SGD, applied as sparse in-place row updates.

    The gradients of the negative-sampling loss are written out by hand
    (`g_k = alpha (y_k - sigmoid(u_k . h))` for unmasked candidates):

        u_k += g_k h                 for every candidate word t_k
        v_w += sum_k g_k u_k         for the input word(s) w

    which is what `SGD` does with the tape's gradients, without the dense
    (vocabulary_size, embedding_dim) gradient tables and Keras's update
    machinery, and the rows are added in place (scatter-add), as gensim's
    Hogwild threads write them. The pairs of a batch are applied in updates
    of `pairs_per_update` pairs, one after the other, each compiled with XLA
    (one fixed shape: the last update is padded with masked pairs). gensim
    updates after every pair; summing the updates of many pairs at once
    moves a frequent word by many per-pair steps computed at the same point
    and overshoots, so updates stay a few thousand pairs long however large
    the batch (and the learning rate is the schedule's value at the step).

    TensorFlow only; `Word2Vec.train_step` falls back to Keras's own step
    for other backends, optimizers and losses.
    """
    import tensorflow as tf

    x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
    dtype = model.embeddings.dtype
    size = model.pairs_per_update
    words = tf.cast(x["words"], tf.int32)
    targets = tf.cast(x["targets"], tf.int32)
    labels = tf.cast(y, dtype)
    count = tf.shape(targets)[0]
    cbow = model.architecture == "cbow"
    # Padding: masked pairs (all labels -1) that change nothing; CBOW pads
    # its contexts with -1 (no word), skip-gram with word 0.
    pad = (size - count % size) % size
    if cbow:
        words = tf.pad(words, [[0, pad], [0, 0]], constant_values=-1)
    else:
        words = tf.pad(words, [[0, pad]])
    targets = tf.pad(targets, [[0, pad], [0, 0]])
    labels = tf.pad(labels, [[0, pad], [0, 0]], constant_values=-1.0)
    updates = (count + pad) // size
    words = tf.reshape(words, tf.concat([[updates, size], tf.shape(words)[1:]], 0))
    targets = tf.reshape(targets, [updates, size, -1])
    labels = tf.reshape(labels, [updates, size, -1])
    rate = tf.cast(model.optimizer.learning_rate, dtype)
    update = _sgd_update(cbow)
    embeddings = model.embeddings.value
    context_embeddings = model.context_embeddings.value

    def body(i, total):
        loss = update(
            embeddings, context_embeddings, words[i], targets[i], labels[i], rate
        )
        return i + 1, total + loss

    _, loss = tf.while_loop(
        lambda i, _: i < updates, body, (tf.constant(0), tf.constant(0.0, dtype))
    )
    model.optimizer.iterations.assign_add(1)
    # As Keras's own step: the summed loss, weighted by the batch size.
    model._loss_tracker.update_state(loss, sample_weight=count)
    return model.get_metrics_result()


def _sgd_update(cbow):
    """The XLA-compiled update of one group of pairs (one per traced step).

    Not shared between models: a function traced with one model's tables
    keeps referring to them once that model is gone.
    """
    import tensorflow as tf

    def update(embeddings, context_embeddings, words, targets, labels, rate):
        dtype = embeddings.dtype
        dim = tf.shape(embeddings)[1]
        if cbow:
            valid = tf.cast(words >= 0, dtype)
            inputs = tf.maximum(words, 0)
            vectors = tf.gather(embeddings, inputs) * valid[..., None]
            contexts = tf.maximum(tf.reduce_sum(valid, axis=1, keepdims=True), 1.0)
            hidden = tf.reduce_sum(vectors, axis=1) / contexts
        else:
            hidden = tf.gather(embeddings, words)
        outputs = tf.gather(context_embeddings, targets)
        # As einsums XLA emits batched dot products, several times faster on
        # CPU than the same maths as broadcast-multiply-and-reduce.
        logits = tf.einsum("bd,bkd->bk", hidden, outputs)
        mask = tf.cast(labels >= 0, dtype)
        positive = tf.maximum(labels, 0.0)
        loss = tf.reduce_sum((tf.nn.softplus(logits) - positive * logits) * mask)
        step = (positive - tf.sigmoid(logits)) * mask * rate
        hidden_update = tf.einsum("bk,bkd->bd", step, outputs)
        output_update = step[..., None] * hidden[:, None, :]
        context_embeddings.scatter_add(
            tf.IndexedSlices(
                tf.reshape(output_update, [-1, dim]), tf.reshape(targets, [-1])
            )
        )
        if cbow:
            # Each context word gets the whole update of the mean (word2vec.c).
            hidden_update = hidden_update[:, None, :] * valid[..., None]
            embeddings.scatter_add(
                tf.IndexedSlices(
                    tf.reshape(hidden_update, [-1, dim]), tf.reshape(inputs, [-1])
                )
            )
        else:
            embeddings.scatter_add(tf.IndexedSlices(hidden_update, words))
        return loss

    return tf.function(update, jit_compile=True)
