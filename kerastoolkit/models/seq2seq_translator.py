"""An attention encoder-decoder translator built on `kerastoolkit.layers.LSTM`."""

import keras
from keras import ops

from kerastoolkit.layers.lstm import LSTM
from kerastoolkit.utils.argument_checks import non_negative_int, positive_int, rate

ATTENTIONS = ("additive", "multiplicative")


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Seq2SeqTranslator(keras.Model):
    """Bidirectional-LSTM encoder, LSTM decoder with attention over the source.

    With source embeddings x_1..x_S and the target shifted right y_0..y_{T-1}:

        h_s = [LSTM_fwd(x)_s ; LSTM_bwd(x)_s]           (encoder, 2 * units)
        z_0 = tanh(W_z [z_fwd ; z_bwd]),  c_0 = W_c [c_fwd ; c_bwd]
        z_t = LSTM_dec(E[y_{t-1}], z_{t-1}, c_{t-1})
        k_s = U h_s
        score(z_t, k_s) = v^T tanh(W z_t + k_s)          ("additive", Bahdanau)
                        = z_t . k_s                       ("multiplicative", Luong)
        a_t = softmax_s(score(z_t, k_s)),  ctx_t = sum_s a_ts h_s
        zt_t = tanh(W_o [ctx_t ; z_t])
        p(y_t | y_<t, x) = softmax(V zt_t)

    Both LSTMs are `kerastoolkit.layers.LSTM` (the Keras weight layout), the
    attention is `keras.layers.AdditiveAttention` or `keras.layers.Attention`,
    and padded source positions (id `pad_id`) are masked in the encoder and in
    the attention. Trained with teacher forcing on
    `{"source": x, "target": y_0..y_{T-1}}` against y_1..y_T.

    Decoding (`kerastoolkit.text.sequence_decoding`): `initial_cache` runs the
    encoder once and keeps its outputs, keys and the decoder state (z, c);
    `next_token_logits` advances the decoder LSTM by one token from the
    cached state; `next_token_logits_uncached` reruns it over the prefix.

    Args:
        source_vocabulary_size: size of the source vocabulary.
        target_vocabulary_size: size of the target vocabulary.
        embedding_dim: size of the token embeddings.
        units: LSTM units of each encoder direction and of the decoder.
        attention: `"additive"` (Bahdanau) or `"multiplicative"` (Luong).
        dropout: dropout rate on the embeddings and before the output layer.
        pad_id: the padding id of both vocabularies.
        **kwargs: base `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: dict with `"source"` `(batch, S)` and `"target"` `(batch, T)`
            integer ids.
        training: Python boolean (dropout).

    Returns:
        Logits of shape `(batch, T, target_vocabulary_size)`.

    Example:

    >>> model = Seq2SeqTranslator(100, 120, embedding_dim=8, units=16)
    >>> model({"source": np.ones((2, 7)), "target": np.ones((2, 5))}).shape
    (2, 5, 120)

    References:
        Bahdanau, Cho and Bengio, "Neural machine translation by jointly
        learning to align and translate", ICLR 2015.
        Luong, Pham and Manning, "Effective approaches to attention-based
        neural machine translation", EMNLP 2015.
        Lecture notes, section 3.2 "Machine translation".
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        embedding_dim=256,
        units=256,
        attention="multiplicative",
        dropout=0.2,
        pad_id=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (
            ("source_vocabulary_size", source_vocabulary_size),
            ("target_vocabulary_size", target_vocabulary_size),
            ("embedding_dim", embedding_dim),
            ("units", units),
        ):
            positive_int(name, value)
        if attention not in ATTENTIONS:
            raise ValueError(
                f"`attention` must be one of {ATTENTIONS}, got {attention!r}."
            )
        rate("dropout", dropout)
        non_negative_int("pad_id", pad_id)
        self.source_vocabulary_size = source_vocabulary_size
        self.target_vocabulary_size = target_vocabulary_size
        self.embedding_dim = embedding_dim
        self.units = units
        self.attention = attention
        self.dropout = dropout
        self.pad_id = pad_id

        self.source_embedding = keras.layers.Embedding(
            source_vocabulary_size, embedding_dim, name="source_embedding"
        )
        self.target_embedding = keras.layers.Embedding(
            target_vocabulary_size, embedding_dim, name="target_embedding"
        )
        self.embedding_dropout = keras.layers.Dropout(dropout)
        self.encoder = keras.layers.Bidirectional(
            LSTM(units, return_sequences=True, return_state=True),
            name="encoder",
        )
        self.state_bridge = keras.layers.Dense(units, "tanh", name="state_bridge")
        self.cell_bridge = keras.layers.Dense(units, name="cell_bridge")
        self.decoder = LSTM(
            units, return_sequences=True, return_state=True, name="decoder"
        )
        self.key_projection = keras.layers.Dense(
            units, use_bias=False, name="key_projection"
        )
        if attention == "additive":
            self.query_projection = keras.layers.Dense(
                units, use_bias=False, name="query_projection"
            )
            self.attention_layer = keras.layers.AdditiveAttention(name="attention")
        else:
            self.query_projection = None
            self.attention_layer = keras.layers.Attention(name="attention")
        self.attentional = keras.layers.Dense(units, "tanh", name="attentional")
        self.output_dropout = keras.layers.Dropout(dropout)
        self.output_projection = keras.layers.Dense(
            target_vocabulary_size, name="output_projection"
        )

    def _encode(self, source, training=False):
        source = ops.cast(source, "int32")
        source_mask = ops.not_equal(source, self.pad_id)
        x = self.embedding_dropout(self.source_embedding(source), training=training)
        outputs, h_fwd, c_fwd, h_bwd, c_bwd = self.encoder(
            x, mask=source_mask, training=training
        )
        state = self.state_bridge(ops.concatenate([h_fwd, h_bwd], axis=-1))
        cell = self.cell_bridge(ops.concatenate([c_fwd, c_bwd], axis=-1))
        return {
            "encoder_outputs": outputs,
            "keys": self.key_projection(outputs),
            "source_mask": source_mask,
            "initial_state": state,
            "initial_cell": cell,
            "state": state,
            "cell": cell,
        }

    def _decode(self, target, state, cell, memory, training=False):
        x = self.embedding_dropout(
            self.target_embedding(ops.cast(target, "int32")), training=training
        )
        outputs, state, cell = self.decoder(
            x, initial_state=[state, cell], training=training
        )
        query = outputs
        if self.query_projection is not None:
            query = self.query_projection(outputs)
        context = self.attention_layer(
            [query, memory["encoder_outputs"], memory["keys"]],
            mask=[None, memory["source_mask"]],
        )
        hidden = self.attentional(ops.concatenate([context, outputs], axis=-1))
        logits = self.output_projection(self.output_dropout(hidden, training=training))
        return logits, state, cell

    def call(self, inputs, training=None):
        memory = self._encode(inputs["source"], training=training)
        logits, _, _ = self._decode(
            inputs["target"],
            memory["initial_state"],
            memory["initial_cell"],
            memory,
            training=training,
        )
        return logits

    def initial_cache(self, source, max_length):
        """Encodes `source`: a dict of batch-first tensors (`max_length` unused)."""
        del max_length
        return self._encode(source, training=False)

    def next_token_logits(self, tokens, index, cache):
        """One cached step: feeds `tokens[:, index]` from the cached state.

        Returns:
            `(logits (batch, target_vocabulary_size), updated cache)`.
        """
        token = ops.expand_dims(ops.take(ops.cast(tokens, "int32"), index, axis=1), 1)
        logits, state, cell = self._decode(token, cache["state"], cache["cell"], cache)
        return logits[:, 0], dict(cache, state=state, cell=cell)

    def next_token_logits_uncached(self, tokens, index, cache):
        """The same step rerunning the decoder over `tokens[:, :index + 1]`."""
        prefix = ops.cast(tokens, "int32")[:, : index + 1]
        logits, _, _ = self._decode(
            prefix, cache["initial_state"], cache["initial_cell"], cache
        )
        return logits[:, -1], cache

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "source_vocabulary_size": self.source_vocabulary_size,
                "target_vocabulary_size": self.target_vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "units": self.units,
                "attention": self.attention,
                "dropout": self.dropout,
                "pad_id": self.pad_id,
            }
        )
        return config
