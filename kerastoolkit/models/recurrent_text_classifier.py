"""A (bidirectional) LSTM sentence classifier on this package's LSTM."""

import keras

from kerastoolkit.layers.lstm import LSTM
from kerastoolkit.models.word_vector_classifier import WordVectorClassifier
from kerastoolkit.utils.argument_checks import boolean, positive_int


@keras.saving.register_keras_serializable(package="kerastoolkit")
class RecurrentTextClassifier(WordVectorClassifier):
    """Word vectors read by an LSTM in both directions, then a dense layer.

    For token ids `w_1..w_n` (0 is padding, skipped by the LSTM through its
    mask) with word vectors `x_i = E[w_i]`:

        ->z_n = LSTM(x_1, ..., x_n)        forward, last state
        <-z_1 = LSTM(x_n, ..., x_1)        backward, last state
        p(y | w) = softmax(W dropout([->z_n; <-z_1]) + b)

    The LSTM is `kerastoolkit.layers.LSTM` (the notes' equations), wrapped in
    `keras.layers.Bidirectional`; with `bidirectional=False` only the forward
    pass is read.

    Args:
        vocabulary_size: number of token ids (id 0 is padding).
        num_classes: number of classes, at least 2.
        embedding_dim: size of the word vectors.
        units: LSTM units per direction.
        bidirectional: read the sentence both ways.
        dropout: dropout rate on the word vectors and on the final states.
        embeddings: optional array `(vocabulary_size, embedding_dim)` of
            initial word vectors (random when `None`); kept in the weights,
            recorded as `None` in the config (see `WordVectorClassifier`).
        trainable_embeddings: whether training updates the word vectors.
        activation: output activation; `None` gives logits.
        preprocessor: optional layer from a string tensor to token ids (a
            `keras.layers.TextVectorization`), for
            `kerastoolkit.export.export_raw_text_classifier`.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Call arguments:
        token_ids: integer tensor `(batch, length)`, 0 for padding.
        training: whether dropout is on.

    Returns:
        Logits (or `activation` outputs) of shape `(batch, num_classes)`.

    Example:

    >>> model = RecurrentTextClassifier(5000, 2, embedding_dim=64, units=32)
    >>> model(np.array([[4, 17, 9, 0, 0]])).shape
    (1, 2)

    References:
        Hochreiter and Schmidhuber, "Long short-term memory", 1997; Schuster
        and Paliwal, "Bidirectional recurrent neural networks", 1997.
    """

    def __init__(
        self,
        vocabulary_size,
        num_classes=2,
        embedding_dim=128,
        units=128,
        bidirectional=True,
        dropout=0.5,
        embeddings=None,
        trainable_embeddings=True,
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
        positive_int("units", units)
        boolean("bidirectional", bidirectional)
        self.units = units
        self.bidirectional = bidirectional
        lstm = LSTM(units, name="lstm")
        self.recurrent = (
            keras.layers.Bidirectional(lstm, name="bidirectional")
            if bidirectional
            else lstm
        )
        self.input_dropout = keras.layers.Dropout(dropout, name="input_dropout")
        self.dropout_layer = keras.layers.Dropout(dropout, name="dropout")
        self.head = keras.layers.Dense(num_classes, activation=activation, name="head")

    def build(self, input_shape):
        self.embedding.build(input_shape)
        self.recurrent.build((None, None, self.embedding_dim))
        width = self.units * (2 if self.bidirectional else 1)
        self.head.build((None, width))

    def call(self, token_ids, training=False):
        token_ids = keras.ops.cast(token_ids, "int32")
        mask = keras.ops.not_equal(token_ids, 0)
        vectors = self.input_dropout(self.embedding(token_ids), training=training)
        states = self.recurrent(vectors, mask=mask, training=training)
        return self.head(self.dropout_layer(states, training=training))

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, bidirectional=self.bidirectional)
        return config
