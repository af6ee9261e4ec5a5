"""An encoder-decoder Transformer translator built from keras-hub layers."""

import keras
import keras_hub
from keras import ops

from kerastoolkit.utils.argument_checks import non_negative_int, positive_int, rate


@keras.saving.register_keras_serializable(package="kerastoolkit")
class TransformerTranslator(keras.Model):
    """Sequence-to-sequence Transformer: source token ids to target logits.

    With source x_1..x_S and the target shifted right, y_0 = [START], y_1..:

        e_s = E_src[x_s] + P_src[s]                (TokenAndPositionEmbedding)
        h = Encoder_N(...Encoder_1(e))             (self-attention + FFN)
        d_t = E_tgt[y_t] + P_tgt[t]
        g = Decoder_N(...Decoder_1(d, h))          (causal self-attention,
                                                    cross-attention to h, FFN)
        p(y_{t+1} | y_0..y_t, x) = softmax(LayerNorm(g_t) E_tgt^T)

    The layers are pre-norm (`normalize_first=True`), with a final layer norm
    after each stack, and the output projection is tied to the target token
    embedding. Padded source positions (id `pad_id`) are masked in encoder
    self-attention and in cross-attention; the causal mask alone hides the
    trailing padding of the target. Train with teacher forcing on
    `{"source": x, "target": y_0..y_{T-1}}` against y_1..y_T, a label-smoothed
    cross-entropy and `InverseSqrtWarmup`.

    For decoding, `initial_cache` runs the encoder and precomputes the
    cross-attention keys and values of every decoder layer, and
    `next_token_logits` feeds one token, appending its self-attention keys
    and values to the cache (keras-hub's `self_attention_cache`), so a step
    costs O(t) instead of recomputing the prefix; `next_token_logits_uncached`
    recomputes it (for tests). See `kerastoolkit.text.sequence_decoding`.

    Args:
        source_vocabulary_size: size of the source vocabulary.
        target_vocabulary_size: size of the target vocabulary.
        max_length: the longest source or target sequence (position
            embeddings), counting `[START]`.
        num_layers: encoder and decoder layers (each).
        hidden_dim: model width d_model.
        num_heads: attention heads; must divide `hidden_dim`.
        intermediate_dim: width of the feed-forward sublayers.
        dropout: dropout rate of the embeddings and every sublayer.
        pad_id: the padding id of both vocabularies.
        **kwargs: base `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: dict with `"source"` `(batch, S)` and `"target"` `(batch, T)`
            integer ids.
        training: Python boolean (dropout).

    Returns:
        Logits of shape `(batch, T, target_vocabulary_size)`.

    Example:

    >>> model = TransformerTranslator(100, 120, max_length=16, num_layers=1,
    ...                               hidden_dim=32, num_heads=2,
    ...                               intermediate_dim=64)
    >>> model({"source": np.ones((2, 7)), "target": np.ones((2, 5))}).shape
    (2, 5, 120)

    References:
        Vaswani et al., "Attention is all you need", NeurIPS 2017.
        Xiong et al., "On layer normalization in the Transformer
        architecture", ICML 2020 (pre-norm).
        Lecture notes, section 3.2 "Machine translation".
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        max_length=64,
        num_layers=3,
        hidden_dim=256,
        num_heads=4,
        intermediate_dim=512,
        dropout=0.1,
        pad_id=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (
            ("source_vocabulary_size", source_vocabulary_size),
            ("target_vocabulary_size", target_vocabulary_size),
            ("max_length", max_length),
            ("num_layers", num_layers),
            ("hidden_dim", hidden_dim),
            ("num_heads", num_heads),
            ("intermediate_dim", intermediate_dim),
        ):
            positive_int(name, value)
        if hidden_dim % num_heads:
            raise ValueError(
                f"`num_heads` must divide `hidden_dim`, got num_heads={num_heads}, "
                f"hidden_dim={hidden_dim}."
            )
        rate("dropout", dropout)
        non_negative_int("pad_id", pad_id)
        self.source_vocabulary_size = source_vocabulary_size
        self.target_vocabulary_size = target_vocabulary_size
        self.max_length = max_length
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.pad_id = pad_id

        self.source_embedding = keras_hub.layers.TokenAndPositionEmbedding(
            source_vocabulary_size, max_length, hidden_dim, name="source_embedding"
        )
        self.target_embedding = keras_hub.layers.TokenAndPositionEmbedding(
            target_vocabulary_size,
            max_length,
            hidden_dim,
            tie_weights=True,
            name="target_embedding",
        )
        self.source_dropout = keras.layers.Dropout(dropout)
        self.target_dropout = keras.layers.Dropout(dropout)
        self.encoder_layers = [
            keras_hub.layers.TransformerEncoder(
                intermediate_dim,
                num_heads,
                dropout=dropout,
                normalize_first=True,
                name=f"encoder_{i}",
            )
            for i in range(num_layers)
        ]
        self.decoder_layers = [
            keras_hub.layers.TransformerDecoder(
                intermediate_dim,
                num_heads,
                dropout=dropout,
                normalize_first=True,
                name=f"decoder_{i}",
            )
            for i in range(num_layers)
        ]
        self.encoder_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, name="encoder_norm"
        )
        self.decoder_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, name="decoder_norm"
        )

    @property
    def head_dim(self):
        return self.hidden_dim // self.num_heads

    def encode(self, source, training=False):
        """Returns the encoder outputs `(batch, S, hidden_dim)` and source mask."""
        source = ops.cast(source, "int32")
        source_mask = ops.not_equal(source, self.pad_id)
        x = self.source_dropout(self.source_embedding(source), training=training)
        for layer in self.encoder_layers:
            x = layer(x, padding_mask=source_mask, training=training)
        return self.encoder_norm(x), source_mask

    def _project(self, x):
        return self.target_embedding.token_embedding(self.decoder_norm(x), reverse=True)

    def _decode(self, target, encoder_outputs, source_mask, training=False):
        x = self.target_dropout(
            self.target_embedding(ops.cast(target, "int32")), training=training
        )
        for layer in self.decoder_layers:
            x = layer(
                x,
                encoder_sequence=encoder_outputs,
                encoder_padding_mask=source_mask,
                training=training,
            )
        return x

    def call(self, inputs, training=None):
        encoder_outputs, source_mask = self.encode(inputs["source"], training=training)
        x = self._decode(inputs["target"], encoder_outputs, source_mask, training)
        return self._project(x)

    def initial_cache(self, source, max_length):
        """Encodes `source` and sets up the decoding cache for `max_length` steps.

        Returns a dict of tensors whose first axis is the batch: the encoder
        outputs and mask, the zero self-attention cache
        `(batch, num_layers, 2, max_length, num_heads, head_dim)` and the
        cross-attention keys/values `(batch, num_layers, 2, S, heads, head_dim)`.
        """
        encoder_outputs, source_mask = self.encode(source, training=False)
        batch = ops.shape(encoder_outputs)[0]
        length = ops.shape(encoder_outputs)[1]
        dtype = encoder_outputs.dtype
        self_cache = ops.zeros(
            (batch, 2, max_length, self.num_heads, self.head_dim), dtype
        )
        cross_cache = ops.zeros(
            (batch, 2, length, self.num_heads, self.head_dim), dtype
        )
        # The cross-attention keys and values depend on the encoder outputs
        # only; one call with index 0 computes them (the query is a dummy).
        dummy = ops.zeros((batch, 1, self.hidden_dim), dtype)
        cross = []
        for layer in self.decoder_layers:
            _, _, layer_cross = layer(
                dummy,
                encoder_sequence=encoder_outputs,
                encoder_padding_mask=source_mask,
                self_attention_cache=self_cache,
                self_attention_cache_update_index=0,
                cross_attention_cache=cross_cache,
                cross_attention_cache_update_index=0,
            )
            cross.append(layer_cross)
        return {
            "encoder_outputs": encoder_outputs,
            "source_mask": source_mask,
            "self_attention": ops.stack([self_cache] * self.num_layers, axis=1),
            "cross_attention": ops.stack(cross, axis=1),
        }

    def next_token_logits(self, tokens, index, cache):
        """One cached decoding step.

        Args:
            tokens: `(batch, L)` ids; `tokens[:, index]` is fed.
            index: the position of the fed token (scalar).
            cache: from `initial_cache` or the previous step.

        Returns:
            `(logits (batch, target_vocabulary_size), updated cache)`.
        """
        token = ops.expand_dims(ops.take(ops.cast(tokens, "int32"), index, axis=1), 1)
        x = self.target_embedding(token, start_index=index)
        self_caches = []
        for i, layer in enumerate(self.decoder_layers):
            x, layer_self, _ = layer(
                x,
                encoder_sequence=cache["encoder_outputs"],
                encoder_padding_mask=cache["source_mask"],
                self_attention_cache=cache["self_attention"][:, i],
                self_attention_cache_update_index=index,
                cross_attention_cache=cache["cross_attention"][:, i],
                cross_attention_cache_update_index=None,
            )
            self_caches.append(layer_self)
        cache = dict(cache, self_attention=ops.stack(self_caches, axis=1))
        return self._project(x)[:, 0], cache

    def next_token_logits_uncached(self, tokens, index, cache):
        """The same step recomputing the whole prefix (the cache is unchanged)."""
        x = self._decode(tokens, cache["encoder_outputs"], cache["source_mask"])
        return self._project(ops.take(x, index, axis=1)), cache

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "source_vocabulary_size": self.source_vocabulary_size,
                "target_vocabulary_size": self.target_vocabulary_size,
                "max_length": self.max_length,
                "num_layers": self.num_layers,
                "hidden_dim": self.hidden_dim,
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "dropout": self.dropout,
                "pad_id": self.pad_id,
            }
        )
        return config
