"""The SST-2 / MR overlap, measured on the real files, and the cleaning that
keeps every evaluation sentence out of training and pretraining text."""

import re

import numpy as np
import pytest

from kerastoolkit.datasets import evaluation_overlap, mr, sst2
from kerastoolkit.datasets.evaluation_overlap import (
    evaluation_sentences,
    normalize_sentence,
    remove_evaluation_sentences,
    sentiment_splits,
)
from kerastoolkit.transfer.roberta.pretraining import unlabelled_corpus


def _words(sentence):
    # The reference normalisation of the overlap's first report: lower case,
    # punctuation to spaces, whitespace collapsed.
    return " ".join(re.sub(r"[^\w\s]", " ", sentence.lower()).split())


@pytest.fixture(scope="module")
def data(data_root):
    return sst2.load_data(data_root), mr.load_all(data_root)[0], data_root


def test_normalize_sentence_ignores_case_punctuation_spacing_and_accents():
    assert normalize_sentence("It 's a  Charming -- film .") == "itsacharmingfilm"
    assert normalize_sentence("it's a charming film!") == "itsacharmingfilm"
    assert normalize_sentence("Café ") == normalize_sentence("cafe")
    assert normalize_sentence(" ... ") == ""
    with pytest.raises(TypeError, match="`sentence` must be a str, got int"):
        normalize_sentence(3)


def test_most_of_sst2_test_and_dev_is_in_mr(data):
    splits, mr_sentences, _ = data
    by_words = {_words(s) for s in mr_sentences}
    by_key = {normalize_sentence(s) for s in mr_sentences}
    test, dev = splits["test"][0], splits["dev"][0]
    # The documented overlap: 1,327 of 1,821 test and 643 of 872 dev
    # sentences word by word; the key (spacing ignored too) finds those and
    # more ("century 's" against "century's").
    assert sum(_words(s) in by_words for s in test) == 1327
    assert sum(_words(s) in by_words for s in dev) == 643
    assert sum(normalize_sentence(s) in by_key for s in test) == 1431
    assert sum(normalize_sentence(s) in by_key for s in dev) == 691


def test_clean_splits_hold_no_evaluation_sentence(data):
    splits, _, root = data
    (_, _), (mr_test, _) = mr.load_data(root)
    evaluation = splits["test"][0] + splits["dev"][0] + mr_test
    keys = {normalize_sentence(s) for s in evaluation}
    words = {_words(s) for s in evaluation}
    assert evaluation_sentences(root) == keys - {""}
    removed = {}
    for name in ("sst2", "mr"):
        clean, removed[name] = sentiment_splits(name, root)
        for split in ("train",) + (("validation",) if name == "mr" else ()):
            sentences, labels = clean[split]
            assert len(sentences) == len(labels) > 0
            assert not {normalize_sentence(s) for s in sentences} & keys
            assert not {_words(s) for s in sentences} & words
        assert clean["test"][0] == (splits["test"][0] if name == "sst2" else mr_test)
    # SST-2's training split loses the sentences of MR's test split (and of
    # its own dev/test); MR's loses most of SST-2's dev and test.
    assert removed == {"sst2": 543, "mr": 1908}
    sst2_clean, _ = sentiment_splits("sst2", root)
    assert len(sst2_clean["train"][0]) == 6920 - 543
    mr_clean, _ = sentiment_splits("mr", root)
    assert len(mr_clean["train"][0]) + len(mr_clean["validation"][0]) == 9596 - 1908


def test_unlabelled_corpus_holds_no_evaluation_sentence(data):
    splits, _, root = data
    sentences, removed = unlabelled_corpus(root, return_removed=True)
    assert removed["mr"] == 1908 and removed["sst2"] == 543
    assert removed["multi30k"] == 0
    evaluation = evaluation_sentences(root)
    assert not {normalize_sentence(s) for s in sentences} & evaluation
    test_words = {_words(s) for s in splits["test"][0]}
    assert not {_words(s) for s in sentences} & test_words
    assert sentences == unlabelled_corpus(root)


def test_remove_evaluation_sentences_filters_labels_alike():
    kept, labels, removed = remove_evaluation_sentences(
        ["A fine film.", "a dull one", "A dull one!"],
        np.array([1, 0, 0]),
        evaluation=frozenset({"adullone"}),
    )
    assert kept == ["A fine film."] and labels.tolist() == [1] and removed == 2
    kept, labels, removed = remove_evaluation_sentences(["x"], evaluation=frozenset())
    assert kept == ["x"] and labels is None and removed == 0
    with pytest.raises(ValueError, match="`labels` must have one entry per sentence"):
        remove_evaluation_sentences(["a", "b"], [1], evaluation=frozenset())
    with pytest.raises(ValueError, match="`name` must be one of 'sst2', 'mr'"):
        sentiment_splits("imdb")
    assert evaluation_overlap.DATASETS == ("sst2", "mr")
