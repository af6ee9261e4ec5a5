"""A character-level language model: a deep autoregressive model over characters."""

import keras
import numpy as np
from keras import ops

from kerastoolkit.layers.lstm import LSTM
from kerastoolkit.models.wavenet import WaveNet, sample_categorical
from kerastoolkit.utils import argument_checks

BODIES = ("lstm", "wavenet")


def recurrent_layer(units, **kwargs):
    """The LSTM the recurrent body stacks (arguments as `keras.layers.LSTM`)."""
    return LSTM(units, **kwargs)


def _vocabulary(vocabulary):
    if isinstance(vocabulary, str):
        vocabulary = list(vocabulary)
    vocabulary = list(vocabulary)
    bad = [c for c in vocabulary if not isinstance(c, str) or len(c) != 1]
    if not vocabulary or bad:
        raise ValueError(
            "`vocabulary` must be a non-empty sequence of single characters, got "
            f"{bad[:5] if bad else vocabulary!r}."
        )
    if len(set(vocabulary)) != len(vocabulary):
        raise ValueError("`vocabulary` holds a character twice.")
    return vocabulary


@keras.saving.register_keras_serializable(package="kerastoolkit")
class CharLanguageModel(keras.Model):
    """A character-level autoregressive language model with an LSTM or WaveNet body.

        P(x_1, ..., x_T) = prod_t P(x_{t+1} | x_1, ..., x_t)
        P(x_{t+1} | x_{<=t}) = softmax(f(x_1, ..., x_t))

    `f` is the body: `"lstm"`, an embedding, `num_layers` LSTMs and a dense
    layer of logits (`z_t` carries the whole past); or `"wavenet"`, a
    categorical `WaveNet` (dilated causal convolutions, a fixed receptive
    field). Characters map to ids `1..V` in `vocabulary` order; id 0 is any
    other character (never sampled). With `compile(optimizer)` and no `loss`
    the loss is the mean negative log-likelihood per character in nats, so
    `loss / ln 2` is bits per character; train on `(ids[:, :-1],
    ids[:, 1:])`.

    Generation continues a prompt one character at a time from cached state
    (the LSTM states, or the WaveNet queues), drawing each character from
    `softmax(logits / temperature)` by inverting its CDF at a uniform
    number, so the noise (or a seed) fixes the text. `serving_endpoints()`
    exports `generate(prompt, length, temperature, seed)`: string in,
    string out, with the vocabulary in the graph and `length` capped at
    `max_length`.

    Args:
        vocabulary: the characters, a string or a sequence of 1-char strings.
        body: `"lstm"` or `"wavenet"`.
        embedding_dim: LSTM body: the size of the character embedding.
        units: LSTM body: units per LSTM layer.
        num_layers: LSTM body: the number of stacked LSTM layers.
        dilations: WaveNet body: one dilation per layer.
        kernel_size: WaveNet body: taps per causal convolution.
        residual_channels: WaveNet body: width of the residual path (and
            of the character embedding).
        skip_channels: WaveNet body: width of the skip path and head.
        **kwargs: base model arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: integer ids, shape `(batch, timesteps)`.

    Returns:
        Logits of the next character, shape `(batch, timesteps, V + 1)`.

    Example:

    >>> model = CharLanguageModel("abc ", body="lstm", units=16)
    >>> model(model.encode("abba cab")[None]).shape
    TensorShape([1, 8, 5])

    References:
        Karpathy, "The Unreasonable Effectiveness of Recurrent Neural
        Networks", 2015.
        van den Oord et al., "WaveNet: A Generative Model for Raw Audio",
        arXiv:1609.03499, 2016.
        Lecture notes, section 2.1.3 "Deep Regressive Model".
    """

    def __init__(
        self,
        vocabulary,
        body="lstm",
        embedding_dim=64,
        units=256,
        num_layers=1,
        dilations=(1, 2, 4, 8, 16, 32, 64),
        kernel_size=2,
        residual_channels=64,
        skip_channels=128,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary = _vocabulary(vocabulary)
        if body not in BODIES:
            raise ValueError(f"`body` must be one of {BODIES}, got {body!r}.")
        self.body = body
        self.embedding_dim = argument_checks.positive_int(
            "embedding_dim", embedding_dim
        )
        self.units = argument_checks.positive_int("units", units)
        self.num_layers = argument_checks.positive_int("num_layers", num_layers)
        if isinstance(dilations, int) or not dilations:
            raise ValueError(
                f"`dilations` must be a non-empty tuple of positive integers, got "
                f"{dilations!r}."
            )
        self.dilations = tuple(
            argument_checks.positive_int("dilations", d) for d in dilations
        )
        self.kernel_size = argument_checks.positive_int("kernel_size", kernel_size)
        self.residual_channels = argument_checks.positive_int(
            "residual_channels", residual_channels
        )
        self.skip_channels = argument_checks.positive_int(
            "skip_channels", skip_channels
        )
        self.num_classes = len(self.vocabulary) + 1
        self.char_to_id = keras.layers.StringLookup(
            vocabulary=self.vocabulary, num_oov_indices=1, mask_token=None
        )
        self.id_to_char = keras.layers.StringLookup(
            vocabulary=self.vocabulary, num_oov_indices=1, mask_token=None, invert=True
        )
        self._index = {c: i + 1 for i, c in enumerate(self.vocabulary)}
        if body == "lstm":
            self.embedding = keras.layers.Embedding(
                self.num_classes, self.embedding_dim, name="embedding"
            )
            self.recurrent_layers = [
                recurrent_layer(
                    self.units,
                    return_sequences=True,
                    return_state=True,
                    name=f"lstm_{i}",
                )
                for i in range(self.num_layers)
            ]
            self.classifier = keras.layers.Dense(self.num_classes, name="logits")
        else:
            self.wavenet = WaveNet(
                dilations=self.dilations,
                kernel_size=self.kernel_size,
                residual_channels=self.residual_channels,
                skip_channels=self.skip_channels,
                distribution="categorical",
                num_classes=self.num_classes,
                name="wavenet",
            )

    @property
    def receptive_field(self):
        """Characters of context: the WaveNet's receptive field, or None (LSTM)."""
        return self.wavenet.receptive_field if self.body == "wavenet" else None

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                "The model takes integer ids of shape (batch, timesteps), got shape "
                f"{tuple(input_shape)}."
            )
        if self.body == "wavenet":
            self.wavenet.build(input_shape)
        else:
            self.embedding.build(input_shape)
            features = self.embedding_dim
            for layer in self.recurrent_layers:
                layer.build((None, None, features))
                features = self.units
            self.classifier.build((None, None, self.units))
        self.built = True

    def call(self, inputs):
        if self.body == "wavenet":
            return self.wavenet(inputs)
        hidden = self.embedding(ops.cast(inputs, "int32"))
        for layer in self.recurrent_layers:
            hidden = layer(hidden)[0]
        return self.classifier(hidden)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        if self.loss is not None:
            return super().compute_loss(x, y, y_pred, sample_weight, training)
        negative = ops.sparse_categorical_crossentropy(
            ops.cast(y, "int32"), y_pred, from_logits=True
        )
        if sample_weight is not None:
            weight = ops.cast(sample_weight, negative.dtype)
            negative = negative * (
                weight[:, None] if len(weight.shape) == 1 else weight
            )
        loss = ops.mean(negative)
        if self.losses:
            loss = loss + ops.cast(ops.sum(self.losses), loss.dtype)
        return loss

    def encode(self, text):
        """The ids of the characters of `text` (0 for unknown ones), int32."""
        if not isinstance(text, str):
            raise TypeError(f"`text` must be a string, got {type(text).__name__}.")
        return np.array([self._index.get(c, 0) for c in text], dtype=np.int32)

    def decode(self, ids):
        """The text of a 1-D sequence of ids (id 0 becomes `"[UNK]"`)."""
        return "".join(
            self.vocabulary[i - 1] if i > 0 else "[UNK]"
            for i in np.asarray(ids).reshape(-1).tolist()
        )

    def initial_state(self, prompt):
        """Runs `prompt` (ids `(batch, timesteps)`, at least one step) once.

        Returns:
            `(logits, state)`: the logits of the next character, `(batch,
            V + 1)`, and the state generation continues from (the LSTM
            states, or the WaveNet queues).
        """
        prompt = ops.convert_to_tensor(prompt)
        if not self.built:
            self.build(prompt.shape)
        if self.body == "wavenet":
            return self.wavenet.initial_cache(prompt)
        hidden = self.embedding(ops.cast(prompt, "int32"))
        states = []
        for layer in self.recurrent_layers:
            hidden, memory, carry = layer(hidden)
            states.append((memory, carry))
        return self.classifier(hidden[:, -1, :]), tuple(states)

    def step(self, ids, state):
        """One generation step: `(logits, state)` after the ids `(batch,)`."""
        if self.body == "wavenet":
            return self.wavenet.step(ids, state)
        hidden = self.embedding(ops.cast(ids, "int32"))
        states = []
        for layer, (memory, carry) in zip(self.recurrent_layers, state, strict=True):
            hidden, (memory, carry) = layer.cell(hidden, [memory, carry])
            states.append((memory, carry))
        return self.classifier(hidden), tuple(states)

    def _draw(self, logits, uniform, temperature):
        # Id 0 stands for characters outside the vocabulary: never drawn.
        unknown = ops.one_hot(0, self.num_classes, dtype=logits.dtype)
        return sample_categorical(logits - 1e9 * unknown, uniform, temperature)

    def generate_from_noise(self, prompt, noise, temperature=1.0, cached=True):
        """Continues `prompt` with one character per column of `noise`.

        Args:
            prompt: ids, `(batch, timesteps)`, at least one step.
            noise: uniforms in [0, 1), `(batch, length)`.
            temperature: scalar; at or below 0 the most likely character.
            cached: step from cached state (a graph loop) instead of
                re-running the whole sequence for every character.

        Returns:
            The new ids, int32 of shape `(batch, length)`.
        """
        prompt = ops.convert_to_tensor(prompt)
        noise = ops.convert_to_tensor(noise)
        if not cached:
            sequence = ops.cast(prompt, "int32")
            for t in range(noise.shape[1]):
                drawn = self._draw(self(sequence)[:, -1, :], noise[:, t], temperature)
                sequence = ops.concatenate([sequence, drawn[:, None]], axis=1)
            return sequence[:, prompt.shape[1] :]
        logits, state = self.initial_state(prompt)
        length = ops.shape(noise)[1]
        samples = ops.zeros((length, ops.shape(prompt)[0]), "int32")

        def body(t, carry):
            logits, state, samples = carry
            drawn = self._draw(logits, noise[:, t], temperature)
            logits, state = self.step(drawn, state)
            index = ops.reshape(ops.cast(t, "int32"), (1, 1))
            return logits, state, ops.scatter_update(samples, index, drawn[None])

        _, _, samples = ops.fori_loop(0, length, body, (logits, state, samples))
        return ops.transpose(samples)

    def generate(self, prompt, length, temperature=1.0, seed=None):
        """Continues the ids `prompt` by `length` sampled characters.

        Args:
            prompt: ids, `(batch, timesteps)`.
            length: positive integer.
            temperature: scalar; at or below 0 the most likely character.
            seed: integer seed, a `keras.random.SeedGenerator`, or `None`.

        Returns:
            The new ids, int32 of shape `(batch, length)`.
        """
        length = argument_checks.positive_int("length", length)
        prompt = ops.convert_to_tensor(prompt)
        noise = keras.random.uniform((ops.shape(prompt)[0], length), seed=seed)
        return self.generate_from_noise(prompt, noise, temperature)

    def generate_text(self, prompt, length, temperature=1.0, seed=None):
        """Continues the string `prompt` (non-empty) by `length` characters.

        The same `prompt`, `length`, `temperature` and integer `seed` give
        the same text as the exported `generate` signature.

        Returns:
            The new text only, a `str`.
        """
        if not isinstance(prompt, str) or not prompt:
            raise ValueError(f"`prompt` must be a non-empty string, got {prompt!r}.")
        ids = self.generate(self.encode(prompt)[None], length, temperature, seed)
        return self.decode(ops.convert_to_numpy(ids)[0])

    def serving_endpoints(self, max_length=10_000):
        """Named SavedModel signatures, for `kerastoolkit.export.export_saved_model`.

        - `generate(prompt, length, temperature, seed)`: `prompt` a string
          scalar (an empty one starts from a newline), `length` and `seed`
          int32 scalars, `temperature` a finite float32 scalar; returns
          `{"text": ...}`, the `length` new characters as a string scalar.
          `length` must be in `[1, max_length]`: generation is one graph
          step per character, so the cap bounds the time one request holds
          the server. The character <-> id tables travel inside the graph and
          the loop is a graph loop, so serving needs TensorFlow only.
        - `serve(ids)`: int32 ids `(batch, timesteps)` in `[0, V]` to
          `{"logits": (batch, timesteps, V + 1)}`.

        A request outside these ranges fails with `InvalidArgumentError`
        naming the input (`kerastoolkit.export.input_checks`).

        Keras has no string ops and no tensor-seeded random numbers, so this
        one function is written with `tf.strings` and
        `tf.random.stateless_uniform` (the draws `keras.random.uniform` makes
        for an integer seed), as export code is.

        Args:
            max_length: positive integer, the most characters one `generate`
                request may ask for.

        Returns:
            A dict from endpoint name to `(function, input_signature)`.
        """
        import tensorflow as tf

        from kerastoolkit.export import input_checks

        max_length = argument_checks.positive_int("max_length", max_length)
        if not self.built:
            self.build((None, None))

        def generate(prompt, length, temperature, seed):
            length = input_checks.check_size(
                "length", length, 1, max_length, "max_length"
            )
            prompt = tf.where(tf.strings.length(prompt) > 0, prompt, "\n")
            characters = tf.strings.unicode_split(prompt, "UTF-8")
            ids = tf.cast(self.char_to_id(characters), "int32")[None, :]
            noise = tf.random.stateless_uniform(
                (1, length), seed=tf.stack([seed, 0]), dtype=self.compute_dtype
            )
            drawn = self.generate_from_noise(ids, noise, temperature)
            text = tf.strings.reduce_join(self.id_to_char(tf.cast(drawn[0], "int64")))
            return {"text": text}

        def logits(ids):
            ids = input_checks.check_range(
                "ids", ids, 0, self.num_classes - 1, "character ids"
            )
            return {"logits": self(ids, training=False)}

        signature = [
            tf.TensorSpec((), tf.string, name="prompt"),
            tf.TensorSpec((), tf.int32, name="length"),
            tf.TensorSpec((), tf.float32, name="temperature"),
            tf.TensorSpec((), tf.int32, name="seed"),
        ]
        return {
            "serve": (logits, [tf.TensorSpec((None, None), tf.int32, name="ids")]),
            "generate": (generate, signature),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary=list(self.vocabulary),
            body=self.body,
            embedding_dim=self.embedding_dim,
            units=self.units,
            num_layers=self.num_layers,
            dilations=list(self.dilations),
            kernel_size=self.kernel_size,
            residual_channels=self.residual_channels,
            skip_channels=self.skip_channels,
        )
        return config
