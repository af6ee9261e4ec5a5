"""Local RoBERTa pretraining: the BPE tokenizer's files, a few masked-LM steps
that lower the loss, and the preset round trip through the loaders."""

import json

import keras
import numpy as np
import pytest

from kerastoolkit.datasets import multi30k, sst2
from kerastoolkit.transfer.roberta.checkpoints import (
    checkpoint_format,
    load_roberta_classifier,
    load_roberta_masked_lm,
)
from kerastoolkit.transfer.roberta.pretraining import (
    build_masked_lm,
    masked_lm_batches,
    masked_lm_loss,
    pretrain_masked_lm,
    sample_fill_in,
    save_pretrained,
    train_bpe_tokenizer,
    unlabelled_corpus,
)
from kerastoolkit.transfer.roberta.token_packing import fast_token_ids


@pytest.fixture(scope="module")
def corpus():
    english = multi30k.load_data()["train"][0][:300]
    return english + sst2.load_data()["train"][0][:100]


@pytest.fixture(scope="module")
def pretrained(corpus, tmp_path_factory):
    """A tiny masked LM trained a few steps, saved as a preset."""
    root = tmp_path_factory.mktemp("pretraining")
    tokenizer = train_bpe_tokenizer(corpus, root / "tokenizer", vocabulary_size=400)
    keras.utils.set_random_seed(0)
    masked_lm = build_masked_lm(
        tokenizer,
        num_layers=1,
        num_heads=2,
        hidden_dim=32,
        intermediate_dim=64,
        max_sequence_length=40,
        sequence_length=24,
    )
    before = masked_lm_loss(masked_lm, corpus[:64])
    history = pretrain_masked_lm(
        masked_lm,
        corpus,
        epochs=3,
        batch_size=32,
        peak_learning_rate=3e-3,
        validation_sentences=corpus[:64],
    )
    after = masked_lm_loss(masked_lm, corpus[:64])
    preset = save_pretrained(masked_lm, root / "preset")
    return {
        "root": root,
        "model": masked_lm,
        "history": history,
        "losses": (before, after),
        "preset": preset,
    }


def test_tokenizer_files_and_special_tokens(pretrained, corpus):
    folder = pretrained["root"] / "tokenizer"
    vocabulary = json.loads((folder / "vocab.json").read_text())
    assert len(vocabulary) == 400
    assert [vocabulary[t] for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")] == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert (folder / "merges.txt").read_text().startswith("#version")
    tokenizer = pretrained["model"].preprocessor.tokenizer
    ids = fast_token_ids(tokenizer, corpus[:20])
    assert all(max(row) < 400 for row in ids)
    assert tokenizer.detokenize(np.array(ids[0])) == corpus[0]
    with pytest.raises(ValueError, match="at least 261"):
        train_bpe_tokenizer(corpus, folder / "x", vocabulary_size=100)


def test_masking_follows_roberta(pretrained, corpus):
    masked_lm = pretrained["model"]
    features, labels, weights = next(
        iter(masked_lm_batches(masked_lm, corpus[:64], 64, shuffle=False))
    )
    token_ids = np.asarray(features["token_ids"])
    weights = np.asarray(weights)
    real = np.asarray(features["padding_mask"]).sum() - 2 * 64  # without <s> </s>
    # About 15% of the real tokens are chosen, never special tokens.
    assert 0.1 < weights.sum() / real < 0.2
    positions = np.asarray(features["mask_positions"])
    chosen = np.take_along_axis(token_ids, positions, 1)[weights > 0]
    assert np.mean(chosen == 4) > 0.6  # mostly <mask>, some random or kept
    assert np.all(np.asarray(labels)[weights > 0] > 4)


def test_a_few_steps_lower_the_masked_lm_loss(pretrained):
    before, after = pretrained["losses"]
    assert after < before - 0.3
    history = pretrained["history"]
    assert history["loss"][-1] < history["loss"][0]
    assert set(history) >= {"val_loss", "val_accuracy"}


def test_preset_round_trip(pretrained, corpus):
    preset = pretrained["preset"]
    assert checkpoint_format(preset) == "keras_hub"
    for name in ("config.json", "model.weights.h5", "task.json", "task.weights.h5"):
        assert (preset / name).is_file(), name
    loaded = load_roberta_masked_lm(preset)
    features, _, _ = next(
        iter(masked_lm_batches(loaded, corpus[:16], 16, shuffle=False))
    )
    np.testing.assert_allclose(
        np.asarray(loaded(features)),
        np.asarray(pretrained["model"](features)),
        atol=1e-5,
    )
    classifier = load_roberta_classifier(preset, 2, sequence_length=32)
    assert classifier.preprocessor.sequence_length == 32
    np.testing.assert_array_equal(
        np.asarray(classifier.backbone.token_embedding.embeddings),
        np.asarray(pretrained["model"].backbone.token_embedding.embeddings),
    )
    scratch = load_roberta_classifier(preset, 2, load_weights=False)
    assert scratch.preprocessor.sequence_length == 40
    assert not np.allclose(
        np.asarray(scratch.backbone.token_embedding.embeddings),
        np.asarray(classifier.backbone.token_embedding.embeddings),
    )
    with pytest.raises(FileExistsError, match="not empty"):
        save_pretrained(pretrained["model"], preset)
    guesses = sample_fill_in(loaded, ["A man in a <mask> shirt."], top_k=2)
    assert len(guesses) == 1 and len(guesses[0]) == 1 and len(guesses[0][0]) == 2


def test_unlabelled_corpus_uses_training_splits_only():
    sentences = unlabelled_corpus(sources=("sst2", "multi30k"))
    # SST-2's training split less the 543 sentences of the evaluation splits
    # (see tests/datasets/test_evaluation_overlap.py), in file order.
    assert len(sentences) == 6920 - 543 + 29000
    train = sst2.load_data()["train"][0]
    assert set(sentences[: 6920 - 543]) <= set(train)
    with pytest.raises(ValueError, match="`sources` must be drawn from"):
        unlabelled_corpus(sources=("imdb",))
