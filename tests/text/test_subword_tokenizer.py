"""SubwordTokenizer: training, agreement with Hugging Face WordPiece, reserved ids,
detokenization back to normal text, and saving."""

import numpy as np
import pytest
import tensorflow as tf
import tokenizers

from kerastoolkit.text.subword_tokenizer import RESERVED_TOKENS, SubwordTokenizer

CORPUS = [
    "A man in a blue T-shirt is riding a bike.",
    "Two young girls are playing in the park.",
    "Ein Mann in einem blauen T-Shirt fährt Fahrrad.",
    "Zwei junge Mädchen spielen im Park.",
    "A dog's ball (red) is on the grass, near the women.",
    "Der Ball des Hundes (rot) liegt auf dem Gras, nahe den Frauen.",
    "Several men are playing music; a woman is singing!",
    "Mehrere Männer machen Musik; eine Frau singt!",
] * 5


@pytest.fixture(scope="module")
def tokenizer():
    return SubwordTokenizer.train(CORPUS, 120, min_frequency=1)


def _tokenize(tokenizer, texts):
    return tf.function(tokenizer.tokenize)(tf.constant(texts))


def test_vocabulary_starts_with_the_reserved_tokens(tokenizer):
    vocabulary = tokenizer.get_vocabulary()
    assert tuple(vocabulary[:4]) == RESERVED_TOKENS
    assert 4 < len(vocabulary) <= 120
    assert (tokenizer.pad_id, tokenizer.start_id, tokenizer.end_id) == (0, 2, 3)
    assert any(token.startswith("##") for token in vocabulary)


def test_ids_match_hugging_face_wordpiece(tokenizer):
    # The same vocabulary in the `tokenizers` reference implementation.
    vocabulary = tokenizer.get_vocabulary()
    reference = tokenizers.Tokenizer(
        tokenizers.models.WordPiece(
            {token: i for i, token in enumerate(vocabulary)}, unk_token="[UNK]"
        )
    )
    reference.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
    texts = CORPUS[:8] + ["A woman sings in the park near two dogs."]
    ours = _tokenize(tokenizer, texts).to_list()
    for text, ids in zip(texts, ours, strict=True):
        assert ids == reference.encode(text).ids, text


def test_detokenize_gives_back_the_training_text(tokenizer):
    ids = _tokenize(tokenizer, CORPUS[:8])
    text = tf.function(tokenizer.detokenize)(ids).numpy()
    assert [t.decode("utf-8") for t in text] == CORPUS[:8]


def test_detokenize_reads_up_to_end_and_drops_padding(tokenizer):
    ids = _tokenize(tokenizer, ["Two young girls.", "A man."]).to_list()
    end, start = tokenizer.end_id, tokenizer.start_id
    noise = ids[0][:2]
    rows = [
        [start, *ids[0], end, *noise],
        [start, *ids[1], end] + [0] * (len(ids[0]) + 2 - len(ids[1])),
    ]
    text = tokenizer.detokenize(np.array(rows, "int32")).numpy()
    assert [t.decode() for t in text] == ["Two young girls.", "A man."]
    single = tokenizer.detokenize(np.array(rows[1], "int32")).numpy()
    assert single.decode() == "A man."


def test_unknown_characters_map_to_unk(tokenizer):
    ids = _tokenize(tokenizer, ["A man 🙂."]).to_list()[0]
    assert 1 in ids


def test_save_and_load_assets(tokenizer, tmp_path):
    tokenizer.save_assets(str(tmp_path))
    clone = SubwordTokenizer.from_config(tokenizer.get_config())
    clone.load_assets(str(tmp_path))
    assert clone.get_vocabulary() == tokenizer.get_vocabulary()
    np.testing.assert_array_equal(
        _tokenize(clone, CORPUS[:4]).to_tensor(),
        _tokenize(tokenizer, CORPUS[:4]).to_tensor(),
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: SubwordTokenizer.train(CORPUS, 3), "`vocabulary_size` must be larger"),
        (lambda: SubwordTokenizer.train([], 50), "`texts` must hold"),
        (lambda: SubwordTokenizer(["a", "[UNK]"]), "`vocabulary` must start with"),
        (lambda: SubwordTokenizer.train(CORPUS, 50, min_frequency=0), "`min_freq"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
