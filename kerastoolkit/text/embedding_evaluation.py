"""Intrinsic evaluation of word vectors: word-pair similarity, analogies, neighbours.

The functions take the vocabulary's `words` (a list) and `vectors` (an array
`(len(words), dim)`) and follow gensim's `KeyedVectors.evaluate_word_pairs`
and `evaluate_word_analogies`: lookups are case-insensitive (the test words
are lower-cased), pairs or questions with an out-of-vocabulary word are
skipped and counted, similarity is the cosine.
"""

import numpy as np
from scipy import stats


def _check(words, vectors):
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(
            "`vectors` must have shape (len(words), dim) = "
            f"({len(words)}, dim), got {vectors.shape}."
        )
    return vectors


def _unit(vectors):
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _index(words):
    index = {}
    for i, word in enumerate(words):
        # The first (most frequent) spelling wins, as in gensim.
        index.setdefault(word.lower(), i)
    return index


def read_word_pairs(path):
    """`[(word1, word2, score)]` from a tab-separated file; `#` lines are comments."""
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip() or line.startswith("#"):
                continue
            first, second, score = line.rstrip("\n").split("\t")[:3]
            pairs.append((first, second, float(score)))
    return pairs


def word_pair_similarity(words, vectors, pairs):
    """Spearman's rho between cosine similarities and human scores.

        rho = Pearson correlation of the ranks of cos(v_a, v_b) and of the scores

    over the pairs whose two words are in the vocabulary.

    Args:
        words: list of the vocabulary's words.
        vectors: array `(len(words), dim)`.
        pairs: `[(word1, word2, score)]` or a path to a file of such lines
            (WordSim-353, SimLex-999 as shipped with gensim).

    Returns:
        A dict: `spearman`, `pearson`, `pairs` (the number scored) and
        `oov_ratio` (the fraction of pairs skipped, in [0, 1]).
    """
    vectors = _unit(_check(words, vectors))
    if isinstance(pairs, str) or hasattr(pairs, "__fspath__"):
        pairs = read_word_pairs(pairs)
    index = _index(words)
    model, human, skipped = [], [], 0
    for first, second, score in pairs:
        a, b = index.get(first.lower()), index.get(second.lower())
        if a is None or b is None:
            skipped += 1
            continue
        model.append(float(vectors[a] @ vectors[b]))
        human.append(score)
    if len(model) < 2:
        raise ValueError(f"Fewer than 2 of the {len(pairs)} pairs are in vocabulary.")
    return {
        "spearman": float(stats.spearmanr(model, human).statistic),
        "pearson": float(stats.pearsonr(model, human).statistic),
        "pairs": len(model),
        "oov_ratio": skipped / len(pairs),
    }


def read_analogies(path):
    """`[(section, (a, b, c, d))]` from a Google `questions-words.txt` file."""
    questions, section = [], None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(":"):
                section = line[1:].strip()
            elif line.strip():
                a, b, c, d = line.split()
                questions.append((section, (a, b, c, d)))
    return questions


def analogy_accuracy(words, vectors, questions, restrict_vocab=300_000):
    """3CosAdd analogy accuracy: `a : b :: c : ?` answered by

        argmax_{x not in {a, b, c}} cos(x, b - a + c)    (unit vectors)

    which is gensim's `most_similar(positive=[b, c], negative=[a])`.

    Args:
        words: list of the vocabulary's words, most frequent first.
        vectors: array `(len(words), dim)`.
        questions: `[(section, (a, b, c, d))]` or a path to
            `questions-words.txt`.
        restrict_vocab: only the first `restrict_vocab` words answer and are
            asked about (gensim's default: 300000).

    Returns:
        A dict: `accuracy` (correct / answered), `correct`, `questions`
        (answered), `oov_ratio` (the fraction skipped) and `sections`
        (`{section: accuracy}` for the sections with an answered question).
    """
    vectors = _unit(_check(words, vectors))[:restrict_vocab]
    words = list(words)[:restrict_vocab]
    if isinstance(questions, str) or hasattr(questions, "__fspath__"):
        questions = read_analogies(questions)
    index = _index(words)
    known = [
        (section, [index.get(w.lower()) for w in quad]) for section, quad in questions
    ]
    known = [(s, q) for s, q in known if None not in q]
    skipped = len(questions) - len(known)
    if not known:
        return {
            "accuracy": 0.0,
            "correct": 0,
            "questions": 0,
            "oov_ratio": skipped / max(len(questions), 1),
            "sections": {},
        }
    quads = np.array([q for _, q in known])
    correct = np.zeros(len(quads), dtype=bool)
    for start in range(0, len(quads), 1024):
        chunk = quads[start : start + 1024]
        query = vectors[chunk[:, 1]] - vectors[chunk[:, 0]] + vectors[chunk[:, 2]]
        scores = _unit(query) @ vectors.T
        rows = np.arange(len(chunk))[:, None]
        scores[rows, chunk[:, :3]] = -np.inf
        correct[start : start + 1024] = scores.argmax(axis=1) == chunk[:, 3]
    sections = {}
    for section in dict.fromkeys(s for s, _ in known):
        chosen = np.array([s == section for s, _ in known])
        sections[section] = float(correct[chosen].mean())
    return {
        "accuracy": float(correct.mean()),
        "correct": int(correct.sum()),
        "questions": len(quads),
        "oov_ratio": skipped / len(questions),
        "sections": sections,
    }


def nearest_neighbours(words, vectors, word, k=10):
    """The `k` words of highest cosine similarity to `word`, itself excluded.

    Returns:
        `[(neighbour, cosine)]`, most similar first.
    """
    vectors = _unit(_check(words, vectors))
    index = {w: i for i, w in enumerate(words)}
    if word not in index:
        raise KeyError(f"`word` {word!r} is not in the vocabulary.")
    scores = vectors @ vectors[index[word]]
    scores[index[word]] = -np.inf
    best = np.argsort(-scores, kind="stable")[:k]
    return [(words[i], float(scores[i])) for i in best]
