"""Bad input over the public API: one clear exception, naming the argument.

Each row of `ROWS` is a call with one bad argument, the exception type it must
raise and a regex its message must contain (the argument's name, or the file
or data set at fault). Every row runs in this process, after `setup` has
written whatever files the row needs (a data folder with a file missing, a
SavedModel version, a damaged `.keras` file); the test then checks that no file
written before the call was changed or removed, so a refused save or a failed
load never damages what was already on disk. A row that crashed the process
(a TensorFlow abort instead of an exception) would end the whole run.

A second table checks that every library model saved as `.keras` loads again
with Keras `safe_mode=True` (no Python code is deserialized on load).
"""

import dataclasses
import hashlib
import os
import shutil
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from kerastoolkit.datasets import (
    data_location,
    fashion_mnist,
    mr,
    multi30k,
    sst2,
    tinyshakespeare,
)
from kerastoolkit.datasets.data_location import DatasetNotFoundError
from kerastoolkit.export import export_saved_model
from kerastoolkit.export.saved_model_checks import (
    CorruptSavedModelError,
    load_saved_model,
)
from kerastoolkit.layers import LSTM, LSTMCell, SimpleRNN, SimpleRNNCell
from kerastoolkit.models.autoencoder import Autoencoder, dense_decoder, dense_encoder
from kerastoolkit.models.char_language_model import CharLanguageModel
from kerastoolkit.models.cnn_builders import plain_cnn
from kerastoolkit.models.image_classifier import ImageClassifier
from kerastoolkit.models.linear_ar import LinearAR
from kerastoolkit.models.linear_autoencoder import LinearAutoencoder
from kerastoolkit.models.multitask_model import MultiTaskModel
from kerastoolkit.models.probabilistic_pca import ProbabilisticPCA
from kerastoolkit.models.recurrent_text_classifier import RecurrentTextClassifier
from kerastoolkit.models.text_cnn_classifier import TextCNNClassifier
from kerastoolkit.models.vae import VAE
from kerastoolkit.models.wavenet import WaveNet
from kerastoolkit.training.callbacks import default_callbacks
from kerastoolkit.training.checkpointing import (
    CorruptCheckpointError,
    ResumableBackup,
    load_keras_model,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 4)).astype("float32")
NAN = np.where(np.eye(8, 4) > 0, np.nan, X).astype("float32")
INF = np.where(np.eye(8, 4) > 0, np.inf, X).astype("float32")
SEQUENCES = RNG.normal(size=(2, 5, 3)).astype("float32")
SERIES = np.sin(np.arange(30.0))


@dataclasses.dataclass(frozen=True)
class Row:
    """One bad call: `call(tmp_path)` must raise `error` matching `message`."""

    name: str
    call: object
    error: type
    message: str
    setup: object = None


def _built(model, *inputs):
    model(*inputs)
    return model


def _exported(tmp):
    """A tiny model exported as version 1 under `tmp/export`."""
    model = _built(LinearAutoencoder(2), X)
    export_saved_model(model, tmp / "export", version=1)
    return model


def _saved_model_without(part):
    def setup(tmp):
        _exported(tmp)
        target = tmp / "export" / "1" / part
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()

    return setup


def _keras_file(make_bytes):
    def setup(tmp):
        model = _built(LinearAutoencoder(2), X)
        model.save(tmp / "good.keras")
        (tmp / "bad.keras").write_bytes(make_bytes(tmp / "good.keras"))

    return setup


def _without_config(good):
    out = Path(str(good) + ".rebuilt")
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            if name != "config.json":
                target.writestr(name, source.read(name))
    data = out.read_bytes()
    out.unlink()
    return data


def _lambda_model(tmp):
    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    keras.Model(inputs, outputs).save(tmp / "lambda.keras")


def _one_of_two_mr_files(tmp):
    (tmp / "data").mkdir()
    (tmp / "data" / "rt-polarity.pos").write_text("good film\n")


def _classifier(**kwargs):
    return ImageClassifier(
        plain_cnn((8, 8, 1), filters=(4,)), 3, image_shape=(8, 8), **kwargs
    )


def _multitask():
    inputs = keras.Input((5,))
    trunk = keras.Model(inputs, keras.layers.Dense(4)(inputs))
    return MultiTaskModel(trunk, {"kind": keras.layers.Dense(2)})


def _char_lm():
    return CharLanguageModel("ab", embedding_dim=2, units=3)


ROWS = [
    # Data sets: missing folder or files -> where to put them / how to get them.
    Row(
        "fashion_mnist missing folder",
        lambda tmp: fashion_mnist.load_data(data_dir=tmp / "nowhere"),
        DatasetNotFoundError,
        r"Fashion-MNIST data set not found(.|\n)*KERASTOOLKIT_DATA_DIR",
    ),
    Row(
        "mr one file missing",
        lambda tmp: mr.load_data(data_dir=tmp / "data"),
        DatasetNotFoundError,
        r"missing rt-polarity\.neg(.|\n)*download=True",
        _one_of_two_mr_files,
    ),
    Row(
        "sst2 empty folder",
        lambda tmp: sst2.load_data(data_dir=tmp),
        DatasetNotFoundError,
        r"stsa\.binary\.train",
    ),
    Row(
        "multi30k empty folder",
        lambda tmp: multi30k.load_data(data_dir=tmp),
        DatasetNotFoundError,
        r"train\.en\.gz",
    ),
    Row(
        "tinyshakespeare empty folder",
        lambda tmp: tinyshakespeare.load_data(data_dir=tmp),
        DatasetNotFoundError,
        r"input\.txt",
    ),
    Row(
        "tinyshakespeare bad split",
        lambda tmp: tinyshakespeare.load_data(split="bogus"),
        ValueError,
        r"`split`",
    ),
    # Layers: bad units, wrong rank, wrong dtype.
    Row("LSTM units 0", lambda tmp: LSTM(0), ValueError, r"`units`.*got 0"),
    Row("SimpleRNN units str", lambda tmp: SimpleRNN("3"), ValueError, r"`units`"),
    Row("LSTMCell units -1", lambda tmp: LSTMCell(-1), ValueError, r"`units`"),
    Row(
        "SimpleRNNCell units 1.5", lambda tmp: SimpleRNNCell(1.5), ValueError, "`units`"
    ),
    Row(
        "LSTM rank 2",
        lambda tmp: LSTM(3)(X),
        ValueError,
        r"expected ndim=3, found ndim=2",
    ),
    Row(
        "SimpleRNN int sequences",
        lambda tmp: SimpleRNN(3)(SEQUENCES.astype("int32")),
        TypeError,
        r"`sequences` must be a float tensor, got int32",
    ),
    Row(
        "LSTM string sequences",
        lambda tmp: LSTM(3)(np.full((2, 5, 3), "a")),
        TypeError,
        r"`sequences` must be a float tensor, got string",
    ),
    Row(
        "LSTMCell rank 3",
        lambda tmp: LSTMCell(3)(SEQUENCES, [np.zeros((2, 3), "float32")] * 2),
        ValueError,
        r"`inputs` must have rank 2",
    ),
    Row(
        "SimpleRNNCell int inputs",
        lambda tmp: SimpleRNNCell(3)(
            SEQUENCES[:, 0].astype("int32"), [np.zeros((2, 3), "float32")]
        ),
        TypeError,
        r"`inputs` must be a float tensor, got int32",
    ),
    # Models: configuration values and the data the closed-form fitters check.
    Row(
        "PPCA latent_dim 0", lambda tmp: ProbabilisticPCA(0), ValueError, "`latent_dim`"
    ),
    Row(
        "PPCA latent_dim >= features",
        lambda tmp: ProbabilisticPCA(4).fit_closed_form(X),
        ValueError,
        r"`latent_dim` must be smaller",
    ),
    Row(
        "PPCA closed form NaN",
        lambda tmp: ProbabilisticPCA(2).fit_closed_form(NAN),
        ValueError,
        r"`x` holds NaN or infinite",
    ),
    Row(
        "PPCA EM Inf",
        lambda tmp: ProbabilisticPCA(2).fit_em(INF),
        ValueError,
        r"`x` holds NaN or infinite",
    ),
    Row(
        "PPCA empty data",
        lambda tmp: ProbabilisticPCA(2).fit_closed_form(np.zeros((0, 4))),
        ValueError,
        r"`x` must hold at least 2 samples, got 0",
    ),
    Row(
        "PPCA rank 1 data",
        lambda tmp: ProbabilisticPCA(2).fit_closed_form(np.zeros(4)),
        ValueError,
        r"`x` must be a 2-D array",
    ),
    Row(
        "PPCA string data",
        lambda tmp: ProbabilisticPCA(2).fit_closed_form(np.full((8, 4), "a")),
        TypeError,
        r"`x` must hold numbers",
    ),
    Row(
        "LinearAutoencoder latent_dim -2",
        lambda tmp: LinearAutoencoder(-2),
        ValueError,
        r"`latent_dim`",
    ),
    Row(
        "Autoencoder noise_stddev -1",
        lambda tmp: Autoencoder(
            dense_encoder((4,), 2, (3,)), dense_decoder(2, (4,), (3,)), noise_stddev=-1
        ),
        ValueError,
        r"`noise_stddev`",
    ),
    Row(
        "dense_encoder hidden 0",
        lambda tmp: dense_encoder((4,), 2, hidden_units=(0,)),
        ValueError,
        r"`hidden_units",
    ),
    Row(
        "VAE likelihood",
        lambda tmp: VAE(
            dense_encoder((4,), 4, (3,)), dense_decoder(2, (4,), (3,)), likelihood="x"
        ),
        ValueError,
        r"`likelihood`",
    ),
    Row(
        "VAE noise_variance 0",
        lambda tmp: VAE(
            dense_encoder((4,), 4, (3,)),
            dense_decoder(2, (4,), (3,)),
            likelihood="gaussian",
            noise_variance=0,
        ),
        ValueError,
        r"`noise_variance`",
    ),
    Row("LinearAR order -1", lambda tmp: LinearAR(-1), ValueError, r"`order`"),
    Row(
        "LinearAR NaN series",
        lambda tmp: LinearAR(2).fit_yule_walker(np.where(SERIES > 0.9, np.nan, SERIES)),
        ValueError,
        r"`series` holds NaN or infinite",
    ),
    Row(
        "LinearAR empty series",
        lambda tmp: LinearAR(2).fit_yule_walker(np.array([])),
        ValueError,
        r"`series` must hold at least 3 values, got 0",
    ),
    Row(
        "LinearAR 2-D series",
        lambda tmp: LinearAR(2).training_windows(np.zeros((3, 5))),
        ValueError,
        r"`series` must be a 1-D array",
    ),
    Row("WaveNet no dilations", lambda tmp: WaveNet(dilations=()), ValueError, "`dila"),
    Row(
        "WaveNet categorical without classes",
        lambda tmp: WaveNet(distribution="categorical"),
        ValueError,
        r"`num_classes`",
    ),
    Row(
        "WaveNet rank 2 input",
        lambda tmp: WaveNet(dilations=(1,))(X),
        ValueError,
        r"shape \(batch, timesteps, features\)",
    ),
    Row(
        "CharLM empty vocabulary", lambda tmp: CharLanguageModel(""), ValueError, "`voc"
    ),
    Row(
        "CharLM num_layers 0",
        lambda tmp: CharLanguageModel("ab", num_layers=0),
        ValueError,
        r"`num_layers`",
    ),
    Row("CharLM encode int", lambda tmp: _char_lm().encode(3), TypeError, r"`text`"),
    Row(
        "CharLM negative length",
        lambda tmp: _char_lm().generate_text("a", -1),
        ValueError,
        r"`length` must be a positive integer, got -1",
    ),
    Row(
        "ImageClassifier num_classes 0",
        lambda tmp: ImageClassifier(
            plain_cnn((8, 8, 1), filters=(4,)), 0, image_shape=(8, 8)
        ),
        ValueError,
        r"`num_classes`",
    ),
    Row(
        "ImageClassifier dropout 2",
        lambda tmp: _classifier(dropout=2.0),
        ValueError,
        r"`dropout`",
    ),
    Row(
        "ImageClassifier string images",
        lambda tmp: _classifier()(np.full((2, 8, 8), "a")),
        TypeError,
        r"`images` must be a int or float tensor, got string",
    ),
    Row(
        "ImageClassifier rank 2 images",
        lambda tmp: _classifier()(np.zeros((2, 8), "uint8")),
        ValueError,
        r"`images` must have rank 3, got shape \(2, 8\)",
    ),
    Row(
        "MultiTaskModel no heads",
        lambda tmp: MultiTaskModel(keras.layers.Dense(3), {}),
        ValueError,
        r"`heads`",
    ),
    Row(
        "MultiTaskModel missing_label str",
        lambda tmp: MultiTaskModel(
            keras.layers.Dense(3), {"a": keras.layers.Dense(1)}, missing_label="x"
        ),
        ValueError,
        r"`missing_label`",
    ),
    # Export: never overwrite a version; endpoint specs checked before writing.
    Row(
        "export over an existing version",
        lambda tmp: export_saved_model(
            _built(LinearAutoencoder(2), X), tmp / "export", version=1
        ),
        FileExistsError,
        r"already exists(.|\n)*nothing was overwritten",
        _exported,
    ),
    Row(
        "export endpoint not a pair",
        lambda tmp: export_saved_model(
            _built(LinearAutoencoder(2), X), tmp / "export", endpoints={"enc": "x"}
        ),
        ValueError,
        r"`endpoints\['enc'\]` must be a \(function, input_signature\) pair",
        _exported,
    ),
    Row(
        "export endpoint not callable",
        lambda tmp: export_saved_model(
            _built(LinearAutoencoder(2), X), tmp / "export", endpoints={"enc": (3, [])}
        ),
        ValueError,
        r"`endpoints\['enc'\]` function must be callable",
    ),
    Row(
        "export endpoint bad name",
        lambda tmp: export_saved_model(
            _built(LinearAutoencoder(2), X),
            tmp / "export",
            endpoints={"my endpoint": (lambda t: t, [])},
        ),
        ValueError,
        r"`endpoints` names must be identifiers",
    ),
    Row(
        "export version 0",
        lambda tmp: export_saved_model(
            _built(LinearAutoencoder(2), X), tmp / "export", version=0
        ),
        ValueError,
        r"`version` must be a positive integer",
    ),
    Row(
        "export not a model",
        lambda tmp: export_saved_model("model", tmp / "export"),
        TypeError,
        r"`model` must be a keras\.Model",
    ),
    # Loading damaged files.
    Row(
        "load .keras random bytes",
        lambda tmp: load_keras_model(tmp / "bad.keras"),
        CorruptCheckpointError,
        r"bad\.keras is not a valid \.keras file",
        _keras_file(lambda good: os.urandom(500)),
    ),
    Row(
        "load .keras truncated",
        lambda tmp: load_keras_model(tmp / "bad.keras"),
        CorruptCheckpointError,
        r"bad\.keras is not a valid \.keras file",
        _keras_file(lambda good: good.read_bytes()[: good.stat().st_size // 2]),
    ),
    Row(
        "load .keras without config",
        lambda tmp: load_keras_model(tmp / "bad.keras"),
        CorruptCheckpointError,
        r"config\.json",
        _keras_file(_without_config),
    ),
    Row(
        "load .keras missing",
        lambda tmp: load_keras_model(tmp / "none.keras"),
        FileNotFoundError,
        r"none\.keras does not exist",
    ),
    Row(
        "load .keras with a Lambda in safe mode",
        lambda tmp: load_keras_model(tmp / "lambda.keras"),
        ValueError,
        r"safe_mode",
        _lambda_model,
    ),
    Row(
        "SavedModel without variables",
        lambda tmp: load_saved_model(tmp / "export" / "1"),
        CorruptSavedModelError,
        r"variables/variables\.index is missing",
        _saved_model_without("variables"),
    ),
    Row(
        "SavedModel without saved_model.pb",
        lambda tmp: load_saved_model(tmp / "export" / "1"),
        CorruptSavedModelError,
        r"saved_model\.pb is missing",
        _saved_model_without("saved_model.pb"),
    ),
    # Training helpers.
    Row(
        "default_callbacks patience -1",
        lambda tmp: default_callbacks(tmp, patience=-1),
        ValueError,
        r"`patience`",
    ),
    Row(
        "ResumableBackup save_freq 0",
        lambda tmp: ResumableBackup(tmp, save_freq=0),
        ValueError,
        r"`save_freq`",
    ),
]


def _snapshot(root):
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def no_data_anywhere(monkeypatch, tmp_path):
    """No data root, no Debian folder, an empty cache and no downloads."""
    monkeypatch.delenv(data_location.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(
        fashion_mnist,
        "DATA_FILES",
        dataclasses.replace(
            fashion_mnist.DATA_FILES,
            system_dirs=((str(tmp_path / "no-debian"), "Debian package"),),
        ),
    )

    def refuse(url, destination):
        raise AssertionError(f"tried to download {url}")

    monkeypatch.setattr(data_location, "_fetch", refuse)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_bad_input_raises_one_clear_error(row, tmp_path, no_data_anywhere):
    work = tmp_path / "work"
    work.mkdir()
    if row.setup is not None:
        row.setup(work)
    before = _snapshot(work)
    with pytest.raises(row.error, match=row.message):
        row.call(work)
    # Nothing already on disk was changed or removed by the failed call.
    after = _snapshot(work)
    assert {name: after.get(name) for name in before} == before


IMAGES = RNG.integers(0, 256, (2, 8, 8), dtype=np.uint8)
LIBRARY_MODELS = {
    "LSTM": lambda: (keras.Sequential([keras.Input((5, 3)), LSTM(2)]), SEQUENCES),
    "SimpleRNN": lambda: (
        keras.Sequential([keras.Input((5, 3)), SimpleRNN(2)]),
        SEQUENCES,
    ),
    "ProbabilisticPCA": lambda: (ProbabilisticPCA(2), X),
    "LinearAutoencoder": lambda: (LinearAutoencoder(2), X),
    "Autoencoder": lambda: (
        Autoencoder(dense_encoder((4,), 2, (3,)), dense_decoder(2, (4,), (3,))),
        X,
    ),
    "VAE": lambda: (
        VAE(dense_encoder((4,), 4, (3,)), dense_decoder(2, (4,), (3,)), seed=0),
        X,
    ),
    "LinearAR": lambda: (LinearAR(2), X[:, :2]),
    "WaveNet": lambda: (
        WaveNet(dilations=(1, 2), residual_channels=2, skip_channels=2),
        SEQUENCES[:, :, :1],
    ),
    "CharLanguageModel": lambda: (_char_lm(), np.array([[1, 2, 1, 0]], "int32")),
    "ImageClassifier": lambda: (_classifier(class_names=("a", "b", "c")), IMAGES),
    "MultiTaskModel": lambda: (_multitask(), RNG.normal(size=(2, 5)).astype("float32")),
    "TextCNNClassifier": lambda: (
        TextCNNClassifier(9, 2, embedding_dim=3, filters=2),
        np.array([[1, 4, 2, 0, 0, 0]], "int32"),
    ),
    "RecurrentTextClassifier": lambda: (
        RecurrentTextClassifier(9, 2, embedding_dim=3, units=2),
        np.array([[1, 4, 2, 0]], "int32"),
    ),
}


@pytest.mark.parametrize("name", list(LIBRARY_MODELS))
def test_every_library_model_loads_with_safe_mode(name, tmp_path):
    keras.utils.set_random_seed(0)
    model, inputs = LIBRARY_MODELS[name]()
    expected = keras.tree.map_structure(
        keras.ops.convert_to_numpy, model(inputs, training=False)
    )
    model.save(tmp_path / "model.keras")
    loaded = load_keras_model(tmp_path / "model.keras", safe_mode=True)
    assert type(loaded) is type(model)
    got = keras.tree.map_structure(
        keras.ops.convert_to_numpy, loaded(inputs, training=False)
    )
    for a, b in zip(keras.tree.flatten(got), keras.tree.flatten(expected), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
