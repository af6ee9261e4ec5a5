"""Train Word2Vec and gensim's Word2Vec on one corpus; evaluate both; export vectors."""

import re
import time
from pathlib import Path

import keras
import matplotlib
import numpy as np
from gensim.models import Word2Vec as GensimWord2Vec
from gensim.test.utils import datapath

from applications.learning_guards import Guard
from kerastoolkit.datasets import multi30k, tinyshakespeare
from kerastoolkit.export import export_saved_model
from kerastoolkit.models.word2vec import Word2Vec, linear_decay_sgd
from kerastoolkit.text.embedding_evaluation import (
    analogy_accuracy,
    nearest_neighbours,
    read_analogies,
    read_word_pairs,
    word_pair_similarity,
)
from kerastoolkit.text.vocabulary import Vocabulary
from kerastoolkit.text.word2vec_dataset import steps_per_epoch, word2vec_dataset
from kerastoolkit.text.word_vectors_io import save_projector, save_word2vec_format
from kerastoolkit.training.callbacks import default_callbacks

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# The metric the demo suite's index shows for this demo.
HEADLINE = "wordsim353_spearman"

PUBLISHED = {
    "Skip-gram, Google News 6B words, 300-d: analogy accuracy (Mikolov et al. "
    "2013, 'Efficient Estimation...', table 6; our corpus is ~10,000x smaller)": 0.53,
}

# The quick run (the whole corpus once, 50-d; 13-22 s at load 4-6 on the
# 2-core machine) gave, with seeds 0-4:
#   WordSim-353 Spearman, ours 0.173, 0.176, 0.163, 0.214, 0.169; random
#     vectors (mean of 10 draws) 0.054, 0.009, 0.026, 0.028, 0.026, so ours
#     minus random 0.119, 0.168, 0.137, 0.186, 0.143 (min 0.119); gensim
#     0.188, 0.182, 0.203, 0.197, 0.125: ours minus gensim -0.016, -0.006,
#     -0.040, +0.017, +0.044 (min -0.040);
#   analogy accuracy, ours 0.026, 0.027, 0.030, 0.029, 0.033 (min 0.026),
#     gensim 0.038-0.045, random vectors 0.0000-0.0003.
# WordSim-353 scores only ~130 in-vocabulary pairs, so one random draw
# spreads by about 0.09: the analogy guard (1.5 points over random; about 30
# of the ~2,100 questions right, which no untrained model gets) is the one an
# untrained model cannot pass by luck. Margins: WordSim 0.07 over random
# (0.05 under the worst seed), within 0.1 of gensim (0.06 under the worst).
GUARDS = (
    Guard("wordsim353_spearman", above="random_wordsim353_spearman", margin=0.07),
    Guard("analogy_accuracy", above="random_analogy_accuracy", margin=0.015),
    Guard("wordsim353_spearman_minus_gensim", above=-0.1),
)

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokenize(text):
    """Lower-cased word tokens: letters and digits, with an inner apostrophe kept."""
    return _TOKEN.findall(text.lower())


def load_corpus(max_sentences=None):
    """Multi30k English (train) and tiny Shakespeare, one line a sentence."""
    english, _ = multi30k.load_data()["train"]
    lines = [*english, *tinyshakespeare.load_data().split("\n")]
    sentences = [tokens for tokens in map(tokenize, lines) if tokens]
    return sentences[:max_sentences] if max_sentences else sentences


def load_benchmarks():
    """The evaluation sets gensim ships: WordSim-353, SimLex-999, Google analogies."""
    return {
        "wordsim353": read_word_pairs(datapath("wordsim353.tsv")),
        "simlex999": read_word_pairs(datapath("simlex999.txt")),
        "analogies": read_analogies(datapath("questions-words.txt")),
    }


def evaluate(words, vectors, benchmarks=None):
    """The three figures: WordSim-353 and SimLex-999 Spearman, Google analogies.

    Args:
        words: the vocabulary, most frequent first.
        vectors: their vectors, `(len(words), dim)`.
        benchmarks: `load_benchmarks()`, read once by a caller that evaluates
            many times (read here when None).
    """
    benchmarks = benchmarks or load_benchmarks()
    wordsim = word_pair_similarity(words, vectors, benchmarks["wordsim353"])
    simlex = word_pair_similarity(words, vectors, benchmarks["simlex999"])
    analogies = analogy_accuracy(words, vectors, benchmarks["analogies"])
    return {
        "wordsim353_spearman": wordsim["spearman"],
        "wordsim353_oov_ratio": wordsim["oov_ratio"],
        "simlex999_spearman": simlex["spearman"],
        "simlex999_oov_ratio": simlex["oov_ratio"],
        "analogy_accuracy": analogies["accuracy"],
        "analogy_oov_ratio": analogies["oov_ratio"],
    }


def random_vectors_baseline(words, embedding_dim, seed, draws=10):
    """The three figures of random vectors for the same words: what a model that
    learned nothing scores.

    Each draw gives every word a standard normal vector (seeded); the figures
    are the means over `draws` draws, so the baseline is close to its
    expectation (a Spearman of 0 on average, with a spread of about
    1/sqrt(pairs) for one draw).

    Returns:
        `{"random_wordsim353_spearman": ..., "random_simlex999_spearman": ...,
        "random_analogy_accuracy": ...}`.
    """
    rng = np.random.default_rng(seed)
    benchmarks = load_benchmarks()
    figures = [
        evaluate(words, rng.standard_normal((len(words), embedding_dim)), benchmarks)
        for _ in range(draws)
    ]
    return {
        f"random_{name}": float(np.mean([f[name] for f in figures]))
        for name in ("wordsim353_spearman", "simlex999_spearman", "analogy_accuracy")
    }


def train_keras(sentences, config):
    """Our Word2Vec; returns `(vocabulary, model, seconds, cpu_seconds)` of `fit`.

    `cpu_seconds` is the process's CPU time (all threads) over `fit`: on a
    shared machine it says what the training cost, whatever else ran.
    """
    vocabulary = Vocabulary.build(sentences, config.min_count, config.max_vocab)
    encoded = [vocabulary.encode(s) for s in sentences]
    dataset = word2vec_dataset(
        encoded,
        vocabulary,
        architecture=config.architecture,
        window=config.window,
        negatives=config.negatives,
        sample=config.sample,
        ns_exponent=config.ns_exponent,
        sentences_per_batch=config.sentences_per_batch,
        seed=config.seed,
    )
    steps = steps_per_epoch(len(encoded), config.sentences_per_batch)
    model = Word2Vec(
        len(vocabulary),
        config.embedding_dim,
        config.architecture,
        pairs_per_update=config.pairs_per_update,
        name="word2vec",
    )
    model.compile(
        optimizer=linear_decay_sgd(
            steps * config.epochs, config.learning_rate, config.final_learning_rate
        )
    )
    start, cpu_start = time.perf_counter(), time.process_time()
    model.fit(
        dataset.repeat(),
        epochs=config.epochs,
        steps_per_epoch=steps,
        callbacks=[
            *default_callbacks(config.output_dir, monitor="loss", patience=None),
            keras.callbacks.TerminateOnNaN(),
        ],
        shuffle=False,
        verbose=config.verbose,
    )
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    if not np.all(np.isfinite(model.word_vectors())):
        raise FloatingPointError(
            "Word2Vec training diverged (non-finite vectors): lower "
            f"`pairs_per_update` (got {config.pairs_per_update}) or "
            f"`learning_rate` (got {config.learning_rate})."
        )
    return vocabulary, model, seconds, cpu_seconds


def train_gensim(sentences, config):
    """gensim's Word2Vec, same hyperparameters; `(model, seconds, cpu_seconds)`.

    The seconds (wall and process CPU) are those of `train` alone, as ours
    are of `fit` alone: the vocabulary is built before the clock starts.
    """
    model = GensimWord2Vec(
        vector_size=config.embedding_dim,
        window=config.window,
        min_count=config.min_count,
        max_final_vocab=config.max_vocab,
        sg=int(config.architecture == "skipgram"),
        hs=0,
        negative=config.negatives,
        ns_exponent=config.ns_exponent,
        sample=config.sample,
        cbow_mean=1,
        alpha=config.learning_rate,
        min_alpha=config.final_learning_rate,
        epochs=config.epochs,
        workers=config.workers,
        seed=config.seed,
    )
    model.build_vocab(sentences)
    start, cpu_start = time.perf_counter(), time.process_time()
    model.train(sentences, total_examples=len(sentences), epochs=config.epochs)
    return model, time.perf_counter() - start, time.process_time() - cpu_start


def _plot_projection(words, vectors, count, path):
    """The most frequent words on the first two principal axes of their vectors."""
    shown = vectors[:count] - vectors[:count].mean(axis=0)
    _, _, axes = np.linalg.svd(shown, full_matrices=False)
    xy = shown @ axes[:2].T
    fig, ax = plt.subplots(figsize=(11, 9))
    ax.scatter(xy[:, 0], xy[:, 1], s=6, color="C0")
    for word, (x, y) in zip(words[:count], xy, strict=True):
        ax.annotate(word, (x, y), fontsize=7, alpha=0.8)
    ax.set_title(f"Word2Vec: the {count} most frequent words, PCA of their vectors")
    ax.set_xlabel("first principal axis")
    ax.set_ylabel("second principal axis")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def train_and_evaluate(config):
    """Trains ours and gensim's on the same corpus and settings, and compares them.

    Returns:
        Metrics: the three figures (and out-of-vocabulary ratios) for both
        models and for random vectors of our vocabulary (`random_...`, the
        baseline), training words per second of both, vocabulary and corpus
        sizes, nearest neighbours, and the paths of the vectors and SavedModel.
    """
    keras.utils.set_random_seed(config.seed)
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    sentences = load_corpus(config.max_sentences)
    corpus_words = sum(len(s) for s in sentences)

    vocabulary, model, seconds, cpu_seconds = train_keras(sentences, config)
    vectors = model.word_vectors()
    ours = evaluate(vocabulary.words, vectors)
    gensim_model, gensim_seconds, gensim_cpu_seconds = train_gensim(sentences, config)
    theirs = evaluate(gensim_model.wv.index_to_key, gensim_model.wv.vectors)

    vectors_path = save_word2vec_format(
        output_dir / "vectors.txt", vocabulary.words, vectors
    )
    save_projector(output_dir / "projector", vocabulary.words, vectors)
    _plot_projection(
        vocabulary.words,
        vectors,
        min(config.plot_words, len(vocabulary)),
        output_dir / "projection.png",
    )
    neighbours = {}
    lines = []
    for word in config.neighbour_words:
        if word not in vocabulary or word not in gensim_model.wv:
            continue
        mine = [w for w, _ in nearest_neighbours(vocabulary.words, vectors, word, 8)]
        gensim_words = [w for w, _ in gensim_model.wv.most_similar(word, topn=8)]
        neighbours[f"neighbours_{word}"] = ", ".join(mine)
        neighbours[f"gensim_neighbours_{word}"] = ", ".join(gensim_words)
        lines += [
            f"{word}:",
            f"  ours:   {', '.join(mine)}",
            f"  gensim: {', '.join(gensim_words)}",
        ]
    (output_dir / "neighbours.txt").write_text("\n".join(lines) + "\n")
    some = np.arange(1, 4, dtype="int32")
    example = [
        some if config.architecture == "skipgram" else some[:, None],
        np.stack([some + 1, some + 2], axis=1),
    ]
    # `serving_default(words, targets)` -> `logits`, indices checked in range.
    saved_model = export_saved_model(
        model,
        config.export_dir,
        endpoints=model.serving_endpoints(),
        examples={"serving_default": example},
    )

    words_per_second = corpus_words * config.epochs / seconds
    gensim_words_per_second = corpus_words * config.epochs / gensim_seconds
    metrics = {
        "sentences": len(sentences),
        "corpus_words": corpus_words,
        "vocabulary_size": len(vocabulary),
        "gensim_vocabulary_size": len(gensim_model.wv),
    }
    for name, value in ours.items():
        metrics[name] = value
        metrics[f"gensim_{name}"] = theirs[name]
    for name in ("wordsim353_spearman", "simlex999_spearman", "analogy_accuracy"):
        metrics[f"{name}_minus_gensim"] = ours[name] - theirs[name]
    metrics.update(
        random_vectors_baseline(vocabulary.words, config.embedding_dim, config.seed)
    )
    metrics.update(
        {
            "words_per_second": words_per_second,
            "gensim_words_per_second": gensim_words_per_second,
            "throughput_ratio_to_gensim": words_per_second / gensim_words_per_second,
            "words_per_cpu_second": corpus_words * config.epochs / cpu_seconds,
            "gensim_words_per_cpu_second": corpus_words
            * config.epochs
            / gensim_cpu_seconds,
            "cpu_time_ratio_to_gensim": gensim_cpu_seconds / cpu_seconds,
            **neighbours,
            "vectors": str(vectors_path),
            "saved_model": str(saved_model),
        }
    )
    return metrics
