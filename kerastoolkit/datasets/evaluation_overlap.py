"""Keep the sentiment evaluation sentences out of everything a model trains on.

SST-2 was built from the same Rotten Tomatoes snippets as MR (rt-polarity).
After `normalize_sentence`, 1,431 of SST-2's 1,821 test sentences and 691 of
its 872 dev sentences are also MR sentences (1,327 and 643 when only
punctuation and case are ignored, as word-level matching does), and most of
SST-2's training sentences are too. So MR's training split holds most of
SST-2's test set, and SST-2's training split much of MR's test split: a model
that trains on one data set's labels, or pretrains on its text, and is tested
on the other has seen the test sentences.

The evaluation splits are SST-2 dev and test and MR's fixed test split
(`kerastoolkit.datasets.mr.load_data`'s defaults). `remove_evaluation_sentences`
drops every sentence whose normalised form is one of theirs from text used
for pretraining, tokenizer training or supervised training, and
`sentiment_splits` gives the train/validation/test splits of SST-2 and MR with
that cleaning applied to the parts a model learns from.
"""

import re
import unicodedata

import numpy as np

from kerastoolkit.utils.argument_checks import one_of

DATASETS = ("sst2", "mr")

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def normalize_sentence(sentence):
    """The comparison key of a sentence: lower-case ASCII letters and digits.

    Accents are decomposed and dropped (NFKD), then everything but `a-z0-9`
    is removed, spaces included, so that tokenisation differences ("it 's"
    against "it's", "- -" against "--") and encodings (SST-2's UTF-8 against
    MR's Latin-1) do not hide a shared sentence.

    Args:
        sentence: a `str`.

    Returns:
        The key, a `str` (empty for a sentence without letters or digits).
    """
    if not isinstance(sentence, str):
        raise TypeError(
            f"`sentence` must be a str, got {type(sentence).__name__}: {sentence!r}."
        )
    decomposed = unicodedata.normalize("NFKD", sentence).lower()
    return _NOT_ALPHANUMERIC.sub("", decomposed)


def evaluation_sentences(data_dir=None):
    """The normalised sentences of every sentiment evaluation split.

    Args:
        data_dir: the data root, as for `kerastoolkit.datasets.sst2.load_data`.

    Returns:
        A `frozenset` of `normalize_sentence` keys: SST-2 dev and test and MR's
        default test split.
    """
    from kerastoolkit.datasets import mr, sst2

    data = sst2.load_data(data_dir)
    _, (mr_test, _) = mr.load_data(data_dir)
    sentences = data["dev"][0] + data["test"][0] + mr_test
    keys = {normalize_sentence(s) for s in sentences}
    keys.discard("")
    return frozenset(keys)


def remove_evaluation_sentences(sentences, labels=None, *, evaluation=None):
    """Drops every sentence that is (normalised) an evaluation sentence.

    Args:
        sentences: a sequence of `str`.
        labels: optional array of matching length, filtered alike.
        evaluation: the keys to remove, from `evaluation_sentences()` (read
            from the default data root when `None`).

    Returns:
        `(kept_sentences, kept_labels, num_removed)`: a `list`, a NumPy array
        (or `None` without `labels`), and how many sentences were dropped.
    """
    if evaluation is None:
        evaluation = evaluation_sentences()
    sentences = list(sentences)
    keep = np.array(
        [normalize_sentence(s) not in evaluation for s in sentences], dtype=bool
    )
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != len(sentences):
            raise ValueError(
                f"`labels` must have one entry per sentence ({len(sentences)}), "
                f"got {len(labels)}."
            )
        labels = labels[keep] if len(keep) else labels
    kept = [s for s, k in zip(sentences, keep, strict=True) if k]
    return kept, labels, int(len(sentences) - len(kept))


def sentiment_splits(name, data_dir=None, validation_fraction=0.1, seed=0):
    """Train/validation/test splits of SST-2 or MR, cleaned of evaluation text.

    SST-2 uses its own train/dev/test; MR its fixed train/test split
    (`mr.load_data` defaults), with `validation_fraction` of the cleaned
    training sentences held out (seeded) for choosing settings. The test
    splits are untouched; the training (and MR's validation) sentences lose
    every sentence of any evaluation split (`evaluation_sentences`), so a model
    trained here has seen neither its own test sentences nor the other data
    set's.

    Args:
        name: `"sst2"` or `"mr"`.
        data_dir: the data root.
        validation_fraction: MR's held-out share of the training sentences.
        seed: seed of MR's validation split.

    Returns:
        `(splits, num_removed)`: `splits` maps `"train"`, `"validation"`,
        `"test"` to `(list of str, int64 labels)`; `num_removed` counts the
        training sentences dropped.
    """
    from kerastoolkit.datasets import mr, sst2

    one_of("name", name, DATASETS)
    evaluation = evaluation_sentences(data_dir)
    if name == "sst2":
        data = sst2.load_data(data_dir)
        x_train, y_train, removed = remove_evaluation_sentences(
            *data["train"], evaluation=evaluation
        )
        splits = {
            "train": (x_train, y_train),
            "validation": data["dev"],
            "test": data["test"],
        }
    else:
        (x_train, y_train), test = mr.load_data(data_dir)
        x_train, y_train, removed = remove_evaluation_sentences(
            x_train, y_train, evaluation=evaluation
        )
        fit, held_out = mr.split_indices(len(x_train), validation_fraction, seed)
        splits = {
            "train": ([x_train[i] for i in fit], y_train[fit]),
            "validation": ([x_train[i] for i in held_out], y_train[held_out]),
            "test": test,
        }
    return {k: (list(x), np.asarray(y)) for k, (x, y) in splits.items()}, removed
