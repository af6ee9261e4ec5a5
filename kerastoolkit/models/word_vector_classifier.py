"""The shared base of the sentence classifiers `TextCNNClassifier` and
`RecurrentTextClassifier`: word vectors in, class scores out."""

import keras
import numpy as np

from kerastoolkit.utils.argument_checks import (
    boolean,
    int_in_range,
    positive_int,
    rate,
)


def _checked_embeddings(vocabulary_size, embedding_dim, embeddings):
    """`embeddings` as float32 after its shape and values are checked."""
    if embeddings is None:
        return None
    embeddings = np.asarray(embeddings, dtype="float32")
    if embeddings.shape != (vocabulary_size, embedding_dim):
        raise ValueError(
            "`embeddings` must have shape (vocabulary_size, embedding_dim) = "
            f"({vocabulary_size}, {embedding_dim}), got {embeddings.shape}."
        )
    if not np.all(np.isfinite(embeddings)):
        raise ValueError("`embeddings` must be finite, got NaN or inf entries.")
    return embeddings


class WordVectorClassifier(keras.Model):
    """Token ids to word vectors `x_i = E[w_i]` (id 0 is padding), read by a
    subclass into `num_classes` scores.

    This base checks and stores the arguments the classifiers share, builds
    the `embedding` layer (from the given `embeddings` when there are some),
    and writes the shared part of the config. The given vectors live in the
    weights; the config records `None`, so a model rebuilt from its config
    gets them from its weights, as `.keras` loading does. The `preprocessor`
    (a string-to-ids layer, for `kerastoolkit.export.export_raw_text_classifier`)
    is serialized with the config.

    Args:
        vocabulary_size: number of token ids (id 0 is padding).
        num_classes: number of classes, at least 2.
        embedding_dim: size of the word vectors.
        dropout: the subclass's dropout rate.
        embeddings: optional array `(vocabulary_size, embedding_dim)` of
            initial word vectors (random when `None`).
        trainable_embeddings: whether training updates the word vectors.
        activation: output activation; `None` gives logits.
        preprocessor: optional layer from a string tensor to token ids.
        **kwargs: `keras.Model` arguments (`name`, ...).
    """

    def __init__(
        self,
        vocabulary_size,
        num_classes,
        embedding_dim,
        dropout,
        embeddings,
        trainable_embeddings,
        activation,
        preprocessor,
        **kwargs,
    ):
        super().__init__(**kwargs)
        int_in_range("vocabulary_size", vocabulary_size, 2)
        int_in_range("num_classes", num_classes, 2)
        positive_int("embedding_dim", embedding_dim)
        rate("dropout", dropout)
        initial = _checked_embeddings(vocabulary_size, embedding_dim, embeddings)
        boolean("trainable_embeddings", trainable_embeddings)
        self.vocabulary_size = vocabulary_size
        self.num_classes = num_classes
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.trainable_embeddings = trainable_embeddings
        self.activation = keras.activations.get(activation)
        self.preprocessor = preprocessor
        self.embedding = keras.layers.Embedding(
            vocabulary_size,
            embedding_dim,
            trainable=trainable_embeddings,
            name="embedding",
        )
        if initial is not None:
            self.embedding.build((None, None))
            self.embedding.embeddings.assign(initial)

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary_size=self.vocabulary_size,
            num_classes=self.num_classes,
            embedding_dim=self.embedding_dim,
            dropout=self.dropout,
            embeddings=None,
            trainable_embeddings=self.trainable_embeddings,
            activation=keras.activations.serialize(self.activation),
            preprocessor=(
                None
                if self.preprocessor is None
                else keras.saving.serialize_keras_object(self.preprocessor)
            ),
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("preprocessor") is not None:
            config["preprocessor"] = keras.saving.deserialize_keras_object(
                config["preprocessor"]
            )
        return cls(**config)
