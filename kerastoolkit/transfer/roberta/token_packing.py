"""RoBERTa token ids, fast: byte-level BPE in Rust, packed as RoBERTa packs them.

`fast_token_ids` encodes a data set with Hugging Face `tokenizers` using the
KerasHub tokenizer's own vocabulary and merges (the same ids as the in-graph
tokenizer); `pack_token_ids` adds `<s>` / `</s>`, truncates and pads, as
`RobertaTextClassifierPreprocessor` does for one segment.
"""

import numpy as np


def fast_token_ids(tokenizer, sentences):
    """Token ids of `sentences`, from Hugging Face `tokenizers` (Rust), fast.

    KerasHub's in-graph byte-level BPE costs milliseconds a sentence; this
    builds the same BPE (`ByteLevelBPETokenizer` on the tokenizer's own
    `vocabulary` and `merges`) and encodes a whole data set in a fraction of a
    second. Its ids equal those of the KerasHub tokenizer run in the graph
    (what a served model and `tf.data` pipelines compute) and those of
    transformers' `RobertaTokenizer`; tests check both. (KerasHub's eager
    Python path, used when a tokenizer is called on a Python list, splits
    " 's" differently and is not used here.)

    Args:
        tokenizer: a KerasHub byte-pair tokenizer (e.g. `RobertaTokenizer`).
        sentences: a list of strings.

    Returns:
        A list of lists of int token ids, without start/end tokens.
    """
    from tokenizers import ByteLevelBPETokenizer

    # merges.txt may start with a "#version: 0.2" line, which is no merge.
    merges = [
        tuple(merge.split(" "))
        for merge in tokenizer.merges
        if merge.strip() and not merge.lstrip().startswith("#version:")
    ]
    fast = ByteLevelBPETokenizer(vocab=dict(tokenizer.vocabulary), merges=merges)
    return [encoding.ids for encoding in fast.encode_batch(list(sentences))]


def pack_token_ids(token_ids, sequence_length, tokenizer):
    """Packs id lists as RoBERTa does: `<s> ids </s>`, truncated, padded.

    Returns:
        `{"token_ids": int32 (n, sequence_length), "padding_mask": bool}`,
        what `RobertaTextClassifierPreprocessor` gives for one segment.
    """
    packed = np.full(
        (len(token_ids), sequence_length), tokenizer.pad_token_id, dtype="int32"
    )
    for row, ids in enumerate(token_ids):
        ids = list(ids[: sequence_length - 2])
        packed[row, : len(ids) + 2] = (
            [tokenizer.start_token_id] + ids + [tokenizer.end_token_id]
        )
    return {"token_ids": packed, "padding_mask": packed != tokenizer.pad_token_id}
