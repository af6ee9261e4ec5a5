"""A WordPiece subword tokenizer trained on a corpus, usable inside the TF graph."""

import keras
import keras_hub

from kerastoolkit.utils.argument_checks import positive_int

# Ids 0..3 of every trained vocabulary, in this order.
RESERVED_TOKENS = ("[PAD]", "[UNK]", "[START]", "[END]")

# WordPiece splits punctuation off words, and detokenization joins every
# token with a space; these RE2 rules put back the usual spacing, so that the
# output scores against untokenized references (sacreBLEU's 13a tokenizer does
# not split hyphens or apostrophes, so "T - Shirt" would not match "T-Shirt").
_DETOKENIZE_RULES = (
    (r" ([.,!?;:%)\]}“])", r"\1"),
    (r"([„(\[{$]) ", r"\1"),
    (r" ?([-/'’]) ?", r"\1"),
)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class SubwordTokenizer(keras_hub.tokenizers.WordPieceTokenizer):
    """WordPiece tokenizer with start/end/padding ids and text detokenization.

    Text is split on whitespace and punctuation, then each word w is cut
    greedily, longest match first, into vocabulary pieces
    w = p_1 ##p_2 ... ##p_n (the `##` marks a piece inside a word). The
    vocabulary is learnt by `SubwordTokenizer.train` with the WordPiece trainer
    of Hugging Face `tokenizers` (merges that maximise
    count(ab) / (count(a) count(b))), on training text only. Tokenization and
    detokenization are TensorFlow-Text ops, so they run inside `tf.data` and
    inside an exported SavedModel.

    The first four ids are reserved: 0 `[PAD]`, 1 `[UNK]`, 2 `[START]`,
    3 `[END]`. `detokenize` reads a sequence up to its first `[END]`, drops
    `[PAD]` and `[START]`, joins the pieces into words and removes the spaces
    that tokenization put around punctuation, giving ordinary text.

    Args:
        vocabulary: a list of tokens (or a vocabulary file) whose first four
            entries are `RESERVED_TOKENS`.
        sequence_length: if set, `tokenize` pads or cuts to this length.
        lowercase: whether to lowercase text before tokenization.
        **kwargs: further `keras_hub.tokenizers.WordPieceTokenizer` arguments.

    Example:

    >>> tokenizer = SubwordTokenizer.train(["a man .", "ein Mann ."], 40)
    >>> tokenizer.detokenize(tokenizer.tokenize(["a man ."]))  # ["a man."]

    References:
        Schuster and Nakajima, "Japanese and Korean voice search", ICASSP 2012.
        Wu et al., "Google's neural machine translation system", 2016.
        Lecture notes, section 3.2 "Machine translation".
    """

    def __init__(
        self, vocabulary=None, sequence_length=None, lowercase=False, **kwargs
    ):
        kwargs.setdefault("oov_token", RESERVED_TOKENS[1])
        # Eager calls take the TensorFlow-Text path too, as tf.data and export do.
        kwargs.setdefault("_allow_python_workflow", False)
        if sequence_length is not None:
            positive_int("sequence_length", sequence_length)
        if not isinstance(lowercase, bool):
            raise ValueError(f"`lowercase` must be a bool, got {lowercase!r}.")
        super().__init__(
            vocabulary=vocabulary,
            sequence_length=sequence_length,
            lowercase=lowercase,
            **kwargs,
        )

    def set_vocabulary(self, vocabulary):
        if vocabulary is not None and not isinstance(vocabulary, str):
            vocabulary = list(vocabulary)
            if tuple(vocabulary[: len(RESERVED_TOKENS)]) != RESERVED_TOKENS:
                raise ValueError(
                    f"`vocabulary` must start with {list(RESERVED_TOKENS)}, got "
                    f"{vocabulary[: len(RESERVED_TOKENS)]}."
                )
        super().set_vocabulary(vocabulary)

    @classmethod
    def train(cls, texts, vocabulary_size, lowercase=False, min_frequency=2, **kwargs):
        """Learns a WordPiece vocabulary from `texts` and returns a tokenizer.

        Args:
            texts: an iterable of training sentences (training split only).
            vocabulary_size: the largest vocabulary size, reserved tokens
                included (the trainer stops sooner if it runs out of merges).
            lowercase: whether to lowercase before training and tokenizing.
            min_frequency: a merge must occur at least this often.
            **kwargs: passed to the constructor.

        Returns:
            A `SubwordTokenizer`.
        """
        import tokenizers

        positive_int("vocabulary_size", vocabulary_size)
        if vocabulary_size <= len(RESERVED_TOKENS):
            raise ValueError(
                "`vocabulary_size` must be larger than the "
                f"{len(RESERVED_TOKENS)} reserved tokens, got {vocabulary_size}."
            )
        positive_int("min_frequency", min_frequency)
        texts = [str(text) for text in texts]
        if not texts:
            raise ValueError("`texts` must hold at least one sentence, got none.")
        if lowercase:
            texts = [text.lower() for text in texts]
        model = tokenizers.Tokenizer(
            tokenizers.models.WordPiece(unk_token=RESERVED_TOKENS[1])
        )
        # Bert pre-tokenization splits on whitespace and punctuation, as the
        # keras-hub tokenizer does at run time.
        model.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
        trainer = tokenizers.trainers.WordPieceTrainer(
            vocab_size=vocabulary_size,
            min_frequency=min_frequency,
            special_tokens=list(RESERVED_TOKENS),
            show_progress=False,
        )
        model.train_from_iterator(texts, trainer)
        ids = model.get_vocab()
        vocabulary = sorted(ids, key=ids.get)
        return cls(vocabulary=vocabulary, lowercase=lowercase, **kwargs)

    @property
    def pad_id(self):
        return 0

    @property
    def start_id(self):
        return 2

    @property
    def end_id(self):
        return 3

    def detokenize(self, inputs):
        import tensorflow as tf

        self._check_vocabulary()
        inputs = tf.convert_to_tensor(inputs) if not _is_ragged(inputs) else inputs
        unbatched = inputs.shape.rank == 1
        if unbatched:
            inputs = inputs[tf.newaxis]
        if not _is_ragged(inputs):
            inputs = tf.RaggedTensor.from_tensor(inputs)
        inputs = tf.cast(inputs, "int32")
        # Keep the tokens before the first [END], without [PAD] and [START].
        before_end = tf.equal(
            tf.math.cumsum(tf.cast(tf.equal(inputs, self.end_id), "int32"), axis=1),
            0,
        )
        keep = (
            before_end
            & tf.not_equal(inputs, self.pad_id)
            & tf.not_equal(inputs, self.start_id)
        )
        tokens = tf.ragged.boolean_mask(inputs, keep)
        text = self._fast_word_piece_detokenize(tokens)
        for pattern, rewrite in _DETOKENIZE_RULES:
            text = tf.strings.regex_replace(text, pattern, rewrite)
        text = tf.strings.strip(text)
        if unbatched:
            text = tf.squeeze(text, 0)
        return text

    def _fast_word_piece_detokenize(self, tokens):
        self._maybe_initialized_tf()
        return self._fast_word_piece.detokenize(tokens)


def _is_ragged(inputs):
    import tensorflow as tf

    return isinstance(inputs, tf.RaggedTensor)
