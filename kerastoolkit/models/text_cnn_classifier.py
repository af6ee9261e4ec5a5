"""Kim's (2014) convolutional sentence classifier."""

import keras

from kerastoolkit.models.word_vector_classifier import WordVectorClassifier
from kerastoolkit.utils.argument_checks import (
    positive_int,
    positive_number,
    sequence_of,
)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class TextCNNClassifier(WordVectorClassifier):
    """Convolutions of several widths over word vectors, max-pooled over time.

    For a sentence of token ids `w_1..w_n` (0 is padding) with word vectors
    `x_i = E[w_i]` (zero for padding), each filter `k` of width `h` gives

        c_k,i = relu(W_k . [x_i; ...; x_{i+h-1}] + b_k)    i = 1..n
        c_k   = max_i c_k,i                                 (max-over-time)

    where positions past the sentence read zero vectors, so the features do
    not depend on how much padding follows it. The pooled features of every
    width are concatenated, dropped out while training and mapped to
    `num_classes` logits by a dense layer whose weight vectors are kept to an
    L2 norm of at most `max_norm`.

    In Kim's terms: random `embeddings` give CNN-rand; given vectors (e.g.
    word2vec) with `trainable_embeddings=False` CNN-static, with
    `trainable_embeddings=True` CNN-non-static.

    Args:
        vocabulary_size: number of token ids (id 0 is padding).
        num_classes: number of classes, at least 2.
        embedding_dim: size of the word vectors.
        filter_widths: the window widths `h`, e.g. `(3, 4, 5)`.
        filters: feature maps per width.
        dropout: dropout rate on the pooled features.
        embeddings: optional array `(vocabulary_size, embedding_dim)` of
            initial word vectors (random when `None`). The vectors live in the
            weights; the config records `None`, so a model rebuilt from its
            config gets them from its weights, as `.keras` loading does.
        trainable_embeddings: whether training updates the word vectors.
        max_norm: the largest L2 norm of each class's output weight vector
            (`None`: no constraint).
        activation: output activation; `None` gives logits.
        preprocessor: optional layer from a string tensor to token ids (a
            `keras.layers.TextVectorization`), which
            `kerastoolkit.export.export_raw_text_classifier` puts in front of
            the model so the export answers raw strings.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Call arguments:
        token_ids: integer tensor `(batch, length)`, 0 for padding.
        training: whether dropout is on.

    Returns:
        Logits (or `activation` outputs) of shape `(batch, num_classes)`.

    Example:

    >>> model = TextCNNClassifier(5000, 2, embedding_dim=64, filters=32)
    >>> model(np.array([[4, 17, 9, 0, 0]])).shape
    (1, 2)

    References:
        Kim, "Convolutional Neural Networks for Sentence Classification",
        EMNLP 2014.
    """

    def __init__(
        self,
        vocabulary_size,
        num_classes=2,
        embedding_dim=128,
        filter_widths=(3, 4, 5),
        filters=100,
        dropout=0.5,
        embeddings=None,
        trainable_embeddings=True,
        max_norm=3.0,
        activation=None,
        preprocessor=None,
        **kwargs,
    ):
        super().__init__(
            vocabulary_size,
            num_classes,
            embedding_dim,
            dropout,
            embeddings,
            trainable_embeddings,
            activation,
            preprocessor,
            **kwargs,
        )
        sequence_of("filter_widths", filter_widths, positive_int, unique=True)
        positive_int("filters", filters)
        if max_norm is not None:
            positive_number("max_norm", max_norm)
        self.filter_widths = tuple(filter_widths)
        self.filters = filters
        self.max_norm = max_norm
        self.convolutions = [
            keras.layers.Conv1D(filters, width, activation="relu", name=f"conv_{width}")
            for width in self.filter_widths
        ]
        self.dropout_layer = keras.layers.Dropout(dropout, name="dropout")
        self.head = keras.layers.Dense(
            num_classes,
            activation=activation,
            kernel_constraint=(
                None if max_norm is None else keras.constraints.MaxNorm(max_norm)
            ),
            name="head",
        )

    def build(self, input_shape):
        self.embedding.build(input_shape)
        for convolution in self.convolutions:
            convolution.build((None, None, self.embedding_dim))
        self.head.build((None, self.filters * len(self.filter_widths)))

    def call(self, token_ids, training=False):
        token_ids = keras.ops.cast(token_ids, "int32")
        mask = keras.ops.cast(keras.ops.not_equal(token_ids, 0), self.compute_dtype)
        vectors = self.embedding(token_ids) * mask[..., None]
        # A window starting on a word (or the first one, for an empty
        # sentence) counts; windows starting in the padding do not.
        first = keras.ops.cast(
            keras.ops.equal(keras.ops.cumsum(keras.ops.ones_like(mask), axis=1), 1.0),
            self.compute_dtype,
        )
        valid = keras.ops.maximum(mask, first)[..., None]
        pooled = []
        for width, convolution in zip(
            self.filter_widths, self.convolutions, strict=True
        ):
            # width - 1 zero vectors after the sentence: one window per token.
            padded = keras.ops.pad(vectors, [[0, 0], [0, width - 1], [0, 0]])
            pooled.append(keras.ops.max(convolution(padded) * valid, axis=1))
        features = keras.ops.concatenate(pooled, axis=-1)
        return self.head(self.dropout_layer(features, training=training))

    def get_config(self):
        config = super().get_config()
        config.update(
            filter_widths=self.filter_widths,
            filters=self.filters,
            max_norm=self.max_norm,
        )
        return config
