"""Writing word vectors for other tools: word2vec text format, TensorBoard projector."""

from pathlib import Path

import numpy as np


def _check(words, vectors):
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(
            "`vectors` must have shape (len(words), dim) = "
            f"({len(words)}, dim), got {vectors.shape}."
        )
    bad = [w for w in words if not w or any(c.isspace() for c in w)]
    if bad:
        raise ValueError(f"Words must be non-empty without whitespace, got {bad[:3]}.")
    return vectors


def save_word2vec_format(path, words, vectors):
    """Writes the word2vec text format that `KeyedVectors.load_word2vec_format` reads.

    The first line is `count dim`; then one line per word, `word x_1 ... x_dim`
    (full float32 precision).
    """
    vectors = _check(words, vectors).astype(np.float32)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"{vectors.shape[0]} {vectors.shape[1]}\n")
        for word, row in zip(words, vectors, strict=True):
            handle.write(word + " " + " ".join(repr(float(x)) for x in row) + "\n")
    return path


def load_word2vec_format(path):
    """Reads the word2vec text format: `(words, vectors)` with float32 vectors."""
    with open(path, encoding="utf-8") as handle:
        count, dim = (int(v) for v in handle.readline().split())
        words, rows = [], []
        for line in handle:
            parts = line.rstrip("\n").split(" ")
            words.append(parts[0])
            rows.append(np.array(parts[1 : dim + 1], dtype=np.float32))
    if len(words) != count:
        raise ValueError(f"{path}: header says {count} words, found {len(words)}.")
    return words, np.stack(rows)


def save_projector(folder, words, vectors, tensor_name="word2vec"):
    """Writes a TensorBoard projector folder: `vectors.tsv`, `metadata.tsv`, config.

    `tensorboard --logdir folder` shows the vectors in its Projector tab;
    projector.tensorflow.org loads the two TSV files directly.
    """
    vectors = _check(words, vectors)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    np.savetxt(folder / "vectors.tsv", vectors, delimiter="\t", fmt="%.6g")
    (folder / "metadata.tsv").write_text(
        "".join(w + "\n" for w in words), encoding="utf-8"
    )
    (folder / "projector_config.pbtxt").write_text(
        "embeddings {\n"
        f'  tensor_name: "{tensor_name}"\n'
        '  tensor_path: "vectors.tsv"\n'
        '  metadata_path: "metadata.tsv"\n'
        "}\n"
    )
    return folder
