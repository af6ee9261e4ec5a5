"""Bad requests to exported signatures get a clean, fast error naming the input.

Tiny models of each kind are built here (no demo runs), exported with
`export_saved_model` and served by the one process that imports TensorFlow
only. Each bad request (a size argument past its cap, a wrong rank, NaN, an
index out of range, a history shorter than the AR order) must fail with an
`InvalidArgumentError` whose message names the input and what is allowed,
the signature call taking under a second; the good request beside it must
still be answered, under readable input and output names.
"""

import re
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np
import pytest
from tensorflow.core.protobuf import saved_model_pb2

from applications.sequences.mnist1d.train import (
    build_recurrent_model,
)
from applications.sequences.mnist1d.train import (
    serving_endpoints as mnist1d_endpoints,
)
from kerastoolkit.export import export_saved_model
from kerastoolkit.models.autoencoder import dense_decoder, dense_encoder
from kerastoolkit.models.char_language_model import CharLanguageModel
from kerastoolkit.models.cnn_builders import plain_cnn
from kerastoolkit.models.dcgan_builders import dcgan_discriminator, dcgan_generator
from kerastoolkit.models.gan import GAN
from kerastoolkit.models.image_classifier import ImageClassifier
from kerastoolkit.models.linear_ar import LinearAR
from kerastoolkit.models.vae import VAE
from kerastoolkit.models.word2vec import Word2Vec
from kerastoolkit.rl.dqn_agent import DQNAgent
from kerastoolkit.rl.q_network import build_mlp_q_network
from kerastoolkit.testing import serving_process
from kerastoolkit.testing.saved_model_serving import ServedRequestError

VOCABULARY = "abcd \n"
LATENT = 4
MAX_SAMPLES = 16  # the GAN's cap, set below its default to show it is honoured


def _char_lm(path):
    model = CharLanguageModel(VOCABULARY, embedding_dim=4, units=6)
    model(np.zeros((1, 3), "int32"))
    return export_saved_model(model, path, endpoints=model.serving_endpoints())


def _mnist1d(path):
    model = build_recurrent_model("lstm", 4)
    return export_saved_model(model, path, endpoints=mnist1d_endpoints(model))


def _linear_ar(path):
    model = LinearAR(9)
    model.fit_yule_walker(np.sin(np.arange(200) / 5.0).astype("float32"))
    return export_saved_model(model, path, endpoints=model.serving_endpoints())


def _word2vec(architecture):
    def build(path):
        model = Word2Vec(7, 5, architecture)
        return export_saved_model(model, path, endpoints=model.serving_endpoints())

    return build


def _gan(path):
    gan = GAN(
        dcgan_generator(LATENT, (8, 8, 1), (8, 4), num_classes=3),
        dcgan_discriminator((8, 8, 1), (4, 8), num_classes=3),
        num_classes=3,
    )
    gan([np.zeros((1, LATENT), "float32"), np.zeros((1,), "int32")])
    endpoints = gan.serving_endpoints(max_samples=MAX_SAMPLES)
    return export_saved_model(gan, path, endpoints=endpoints)


def _image_classifier(path):
    model = ImageClassifier(
        plain_cnn((8, 8, 1), filters=(4,)), 3, image_shape=(8, 8), class_names="abc"
    )
    return export_saved_model(model, path, endpoints=model.serving_endpoints())


def _vae(path):
    model = VAE(
        dense_encoder((8, 8), 4, hidden_units=(6,)),
        dense_decoder(2, (8, 8), hidden_units=(6,)),
    )
    model(np.zeros((1, 8, 8), "float32"))
    return export_saved_model(model, path, endpoints=model.serving_endpoints())


def _dqn(path):
    agent = DQNAgent(build_mlp_q_network((3,), 2, hidden_units=(4,)), jit_compile=False)
    return agent.export_policy(path)


BUILDERS = {
    "char_lm": _char_lm,
    "mnist1d": _mnist1d,
    "linear_ar": _linear_ar,
    "skipgram": _word2vec("skipgram"),
    "cbow": _word2vec("cbow"),
    "gan": _gan,
    "image_classifier": _image_classifier,
    "vae": _vae,
    "dqn": _dqn,
}


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """`export(name)`: the SavedModel of `BUILDERS[name]`, built once."""
    keras.utils.set_random_seed(0)
    root = tmp_path_factory.mktemp("exports")
    paths = {}

    def get(name):
        if name not in paths:
            paths[name] = BUILDERS[name](root / name)
        return paths[name]

    return get


def _i32(value):
    return np.asarray(value, "int32")


def _f32(value):
    return np.asarray(value, "float32")


def _generate(length=5, temperature=1.0):
    return {
        "prompt": np.asarray("ab"),
        "length": _i32(length),
        "temperature": _f32(temperature),
        "seed": _i32(1),
    }


def _forecast(history, steps=3):
    return {"history": _f32(history), "steps": _i32(steps)}


SERIES = np.sin(np.arange(40) / 5.0)[None]
IMAGES = np.zeros((2, 8, 8), "uint8")


class Good(NamedTuple):
    export: str
    signature: str
    request: dict
    outputs: list  # the output names, sorted
    shapes: list


GOOD = [
    Good("char_lm", "generate", _generate(), ["text"], [()]),
    Good("char_lm", "serve", {"ids": _i32([[1, 2, 0]])}, ["logits"], [(1, 3, 7)]),
    Good(
        "mnist1d",
        "serving_default",
        {"signal": _f32(SERIES)},
        ["probabilities"],
        [(1, 10)],
    ),
    Good(
        "linear_ar",
        "forecast",
        _forecast(SERIES),
        ["lower", "mean", "stddev", "upper"],
        [(1, 3)] * 4,
    ),
    Good(
        "linear_ar", "serve", {"windows": _f32(SERIES[:, -9:])}, ["prediction"], [(1,)]
    ),
    Good(
        "skipgram",
        "serving_default",
        {"words": _i32([0, 6]), "targets": _i32([[1, 2], [3, 6]])},
        ["logits"],
        [(2, 2)],
    ),
    Good(
        "cbow",
        "serving_default",
        {"words": _i32([[-1, 6]]), "targets": _i32([[1, 2]])},
        ["logits"],
        [(1, 2)],
    ),
    Good(
        "gan",
        "generate",
        {"seed": _i32(3), "n": _i32(MAX_SAMPLES)},
        ["images"],
        [(MAX_SAMPLES, 8, 8, 1)],
    ),
    Good(
        "gan",
        "serving_default",
        {"noise": _f32(np.ones((2, LATENT))), "labels": _i32([0, 2])},
        ["images"],
        [(2, 8, 8, 1)],
    ),
    Good(
        "image_classifier",
        "serving_default",
        {"images": IMAGES},
        ["class_names", "probabilities"],
        [(2,), (2, 3)],
    ),
    Good(
        "vae",
        "encode",
        {"inputs": _f32(IMAGES)},
        ["log_variance", "mean"],
        [(2, 2), (2, 2)],
    ),
    Good(
        "dqn",
        "serving_default",
        {"observations": _f32(np.ones((2, 3)))},
        ["actions", "q_values"],
        [(2,), (2, 2)],
    ),
]


@pytest.mark.parametrize("good", GOOD, ids=lambda g: f"{g.export}-{g.signature}")
def test_good_requests_are_answered_under_readable_names(export, good):
    server = serving_process()
    served = server.serve(export(good.export), good.request, signature=good.signature)
    assert server.last_output_names == good.outputs
    assert [value.shape for value in served] == good.shapes
    for value in served:
        if value.dtype.kind == "f":
            assert np.isfinite(value).all()


class Bad(NamedTuple):
    case: str
    export: str
    signature: str
    request: dict
    message: str  # a regular expression the error message must match


NAN_SERIES = np.where(np.arange(40) == 7, np.nan, SERIES)

BAD = [
    # Size arguments past their documented caps.
    Bad(
        "char_lm length 5,000,000",
        "char_lm",
        "generate",
        _generate(length=5_000_000),
        r"`length` must be an integer in \[1, 10000\] \(max_length=10000 at "
        r"export\), got 5000000",
    ),
    Bad(
        "char_lm length 0",
        "char_lm",
        "generate",
        _generate(length=0),
        r"`length` must be an integer in \[1, 10000\].*got 0",
    ),
    Bad(
        "sunspots forecast steps -3",
        "linear_ar",
        "forecast",
        _forecast(SERIES, steps=-3),
        r"`steps` must be an integer in \[1, 1000\] \(max_steps=1000 at export\), "
        r"got -3",
    ),
    Bad(
        "sunspots forecast steps 10**9",
        "linear_ar",
        "forecast",
        _forecast(SERIES, steps=10**9),
        r"`steps` must be an integer in \[1, 1000\].*got 1000000000",
    ),
    Bad(
        "GAN generate n past max_samples",
        "gan",
        "generate",
        {"seed": _i32(3), "n": _i32(MAX_SAMPLES + 1)},
        rf"`n` must be an integer in \[1, {MAX_SAMPLES}\] \(max_samples="
        rf"{MAX_SAMPLES} at export\), got {MAX_SAMPLES + 1}",
    ),
    Bad(
        "GAN generate n -1",
        "gan",
        "generate",
        {"seed": _i32(3), "n": _i32(-1)},
        r"`n` must be an integer in \[1, 16\].*got -1",
    ),
    # Ranks and fixed sizes.
    Bad(
        "mnist1d one signal without its batch axis",
        "mnist1d",
        "serving_default",
        {"signal": _f32(SERIES[0])},
        r"`signal` must be a rank-2 tensor of shape \(\?, \?\), got shape \[40\]",
    ),
    Bad(
        "char_lm length as a vector",
        "char_lm",
        "generate",
        {**_generate(), "length": _i32([5, 6])},
        r"`length` must be a scalar, got shape \[2\]",
    ),
    Bad(
        "sunspots history without its batch axis",
        "linear_ar",
        "forecast",
        _forecast(SERIES[0]),
        r"`history` must be a rank-2 tensor of shape \(\?, \?\), got shape \[40\]",
    ),
    Bad(
        "one image without its batch axis",
        "image_classifier",
        "serving_default",
        {"images": IMAGES[0]},
        r"`images` must be a rank-3 tensor of shape \(\?, 8, 8\), got shape \[8 8\]",
    ),
    Bad(
        "images of the wrong size",
        "image_classifier",
        "serving_default",
        {"images": np.zeros((2, 9, 8), "uint8")},
        r"`images` must be a rank-3 tensor of shape \(\?, 8, 8\), got shape "
        r"\[2 9 8\]",
    ),
    Bad(
        "GAN noise of the wrong width",
        "gan",
        "generate_from_noise",
        {"noise": _f32(np.ones((2, 5))), "labels": _i32([0, 1])},
        r"`noise` must be a rank-2 tensor of shape \(\?, 4\), got shape \[2 5\]",
    ),
    Bad(
        "DQN one observation without its batch axis",
        "dqn",
        "serving_default",
        {"observations": _f32(np.ones(3))},
        r"`observations` must be a rank-2 tensor of shape \(\?, 3\), got shape \[3\]",
    ),
    # Lengths.
    Bad(
        "sunspots history shorter than the AR order",
        "linear_ar",
        "forecast",
        _forecast(SERIES[:, :5]),
        r"`history` must have length >= 9 along axis 1 \(the AR order\), got 5",
    ),
    Bad(
        "mnist1d empty signals",
        "mnist1d",
        "serving_default",
        {"signal": _f32(np.zeros((2, 0)))},
        r"`signal` must have length >= 1 along axis 1 \(time steps\), got 0",
    ),
    # Finite values.
    Bad(
        "mnist1d NaN signal",
        "mnist1d",
        "serving_default",
        {"signal": _f32(NAN_SERIES)},
        r"`signal` must hold finite numbers \(no NaN or infinity\), got 1 "
        r"non-finite values",
    ),
    Bad(
        "sunspots NaN history",
        "linear_ar",
        "forecast",
        _forecast(NAN_SERIES),
        r"`history` must hold finite numbers",
    ),
    Bad(
        "char_lm NaN temperature",
        "char_lm",
        "generate",
        _generate(temperature=np.nan),
        r"`temperature` must hold finite numbers",
    ),
    Bad(
        "GAN infinite noise",
        "gan",
        "generate_from_noise",
        {"noise": _f32([[np.inf, 0, 0, 0]]), "labels": _i32([0])},
        r"`noise` must hold finite numbers",
    ),
    Bad(
        "VAE NaN images",
        "vae",
        "encode",
        {"inputs": np.full((1, 8, 8), np.nan, "float32")},
        r"`inputs` must hold finite numbers.*got 64 non-finite values",
    ),
    Bad(
        "DQN NaN observations",
        "dqn",
        "serving_default",
        {"observations": _f32([[0.0, np.nan, 1.0]])},
        r"`observations` must hold finite numbers",
    ),
    # Index ranges.
    Bad(
        "word2vec word index -1",
        "skipgram",
        "serving_default",
        {"words": _i32([-1, 2]), "targets": _i32([[1, 2], [3, 4]])},
        r"`words` must hold word indices in \[0, 6\], got values from -1 to 2",
    ),
    Bad(
        "word2vec target index past the vocabulary",
        "skipgram",
        "serving_default",
        {"words": _i32([1]), "targets": _i32([[1, 7]])},
        r"`targets` must hold word indices in \[0, 6\], got values from 1 to 7",
    ),
    Bad(
        "word2vec CBOW context index -2",
        "cbow",
        "serving_default",
        {"words": _i32([[-2, 1]]), "targets": _i32([[1, 2]])},
        r"`words` must hold word indices \(-1 pads\) in \[-1, 6\], got values "
        r"from -2 to 1",
    ),
    Bad(
        "conditional GAN label past the classes",
        "gan",
        "serving_default",
        {"noise": _f32(np.ones((2, LATENT))), "labels": _i32([0, 3])},
        r"`labels` must hold class labels in \[0, 2\], got values from 0 to 3",
    ),
    Bad(
        "char_lm id -1",
        "char_lm",
        "serve",
        {"ids": _i32([[1, -1]])},
        r"`ids` must hold character ids in \[0, 6\], got values from -1 to 1",
    ),
]


@pytest.mark.parametrize("bad", BAD, ids=lambda b: b.case)
def test_bad_request_fails_at_once_with_a_named_error(export, bad):
    path = export(bad.export)
    server = serving_process()
    with pytest.raises(ServedRequestError) as caught:
        server.serve(path, bad.request, signature=bad.signature)
    error = caught.value
    assert error.error_type == "InvalidArgumentError", str(error)
    assert re.search(bad.message, error.message), error.message
    assert error.seconds is not None and error.seconds < 1.0, error.seconds


def _signature_names(path):
    graph = saved_model_pb2.SavedModel.FromString(
        (Path(path) / "saved_model.pb").read_bytes()
    )
    for name, signature in graph.meta_graphs[0].signature_def.items():
        yield name, [*signature.inputs, *signature.outputs]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_signatures_name_their_inputs_and_outputs(export, name):
    anonymous = {
        signature: [n for n in names if re.fullmatch(r"(args|output)_\d+(_\d+)*", n)]
        for signature, names in _signature_names(export(name))
    }
    assert not any(anonymous.values()), anonymous
