"""The public API: every public name is exported by its package, documented
and, when serializable, registered by a plain `import kerastoolkit`.

The public names are each package's `__all__`. Every public class or function
defined in a library module must appear in one of them, so a new class cannot
be left out of its package.
"""

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import kerastoolkit

PACKAGES = (
    "kerastoolkit.utils",
    "kerastoolkit.layers",
    "kerastoolkit.datasets",
    "kerastoolkit.export",
    "kerastoolkit.training",
    "kerastoolkit.text",
    "kerastoolkit.models",
    "kerastoolkit.testing",
    "kerastoolkit.rl",
    "kerastoolkit.transfer",
    "kerastoolkit.transfer.roberta",
)
# Optional extras that `import kerastoolkit` must not need.
EXTRAS = (
    "keras_hub",
    "gymnasium",
    "scipy",
    "sklearn",
    "statsmodels",
    "tokenizers",
    "sacrebleu",
    "gensim",
    "tensorflow_datasets",
    "tensorflow_text",
    "torch",
)
# Modules whose names are reached through their package as modules (data
# loaders, argument checks) or that hold internals, not public names.
NOT_EXPORTED_MODULES = {
    "kerastoolkit.layers.weight_options",  # the cells' shared argument plumbing
    "kerastoolkit.testing.model_wrapping",  # the test helpers' plumbing
    "kerastoolkit.testing.serving_worker",  # the serving subprocess's script
    "kerastoolkit.transfer.roberta.keras_hub_adapter",  # KerasHub internals
}
# Helpers shared by a few modules of one package, not part of its API.
INTERNAL = {
    "kerastoolkit.layers.recurrent_layer.RecurrentLayer",  # base of LSTM, SimpleRNN
    "kerastoolkit.models.autoencoder.endpoint_signature",
    "kerastoolkit.models.char_language_model.recurrent_layer",
    "kerastoolkit.models.submodel_config.serialize_submodel",
    "kerastoolkit.models.wavenet.sample_categorical",
    "kerastoolkit.models.word_vector_classifier.WordVectorClassifier",  # text bases
    "kerastoolkit.rl.training_loop.build_agent",
    "kerastoolkit.rl.training_loop.build_buffer",
    "kerastoolkit.rl.training_loop.episode_seed",
    "kerastoolkit.rl.training_loop.log_scalars",
    "kerastoolkit.rl.training_loop.read_checkpoint",
    "kerastoolkit.rl.training_loop.selection_seed",
    "kerastoolkit.rl.training_loop.write_checkpoint",
}
# Abstract bases: subclassed, never saved themselves, so not registered.
BASES = {"RecurrentLayer", "AdversarialModel", "WordVectorClassifier"}


def library_modules():
    for info in pkgutil.walk_packages(kerastoolkit.__path__, "kerastoolkit."):
        yield importlib.import_module(info.name)


def exported():
    """`{(package, name): object}` for every name in every package's __all__."""
    names = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for name in package.__all__:
            names[(package_name, name)] = getattr(package, name)
    return names


def is_serializable_class(obj):
    return inspect.isclass(obj) and issubclass(
        obj,
        (
            keras.layers.Layer,
            keras.losses.Loss,
            keras.metrics.Metric,
            keras.optimizers.Optimizer,
            keras.optimizers.schedules.LearningRateSchedule,
        ),
    )


def test_every_package_exports_importable_documented_names():
    missing_docs = []
    for (package_name, name), obj in exported().items():
        doc = inspect.getdoc(obj) if not isinstance(obj, tuple) else "a constant"
        if inspect.ismodule(obj) or inspect.isclass(obj) or callable(obj):
            if not (doc or "").strip():
                missing_docs.append(f"{package_name}.{name}")
    assert missing_docs == []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        assert (package.__doc__ or "").strip(), package_name
        assert len(set(package.__all__)) == len(package.__all__), package_name


def test_every_public_class_and_function_is_exported_by_its_package():
    objects = {id(obj) for obj in exported().values()}
    modules = {id(obj) for obj in exported().values() if inspect.ismodule(obj)}
    left_out = []
    for module in library_modules():
        if module.__name__ in NOT_EXPORTED_MODULES or id(module) in modules:
            continue
        if module.__name__.endswith("__init__") or hasattr(module, "__path__"):
            continue
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != (
                module.__name__
            ):
                continue
            qualified = f"{module.__name__}.{name}"
            if qualified in INTERNAL:
                continue
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and id(
                obj
            ) not in objects:
                left_out.append(qualified)
    assert left_out == []


def test_the_export_check_can_fail(monkeypatch):
    # A public function added to a module but not to its package is reported.
    from kerastoolkit.layers import lstm

    def forgotten():
        """Not exported."""

    forgotten.__module__ = lstm.__name__
    monkeypatch.setattr(lstm, "forgotten", forgotten, raising=False)
    with pytest.raises(AssertionError, match="forgotten"):
        test_every_public_class_and_function_is_exported_by_its_package()


def serializable_classes():
    classes = {}
    for module in library_modules():
        for name, obj in vars(module).items():
            if (
                not name.startswith("_")
                and getattr(obj, "__module__", None) == module.__name__
                and is_serializable_class(obj)
                and name not in BASES
            ):
                classes[name] = obj
    return classes


def test_every_serializable_class_is_registered_under_kerastoolkit():
    classes = serializable_classes()
    assert {"VAE", "LSTM", "SubwordTokenizer", "LayerwiseAdamW"} <= set(classes)
    unregistered = [
        name
        for name, cls in classes.items()
        if keras.saving.get_registered_object(f"kerastoolkit>{name}") is not cls
    ]
    assert unregistered == []


def run_python(code):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_plain_import_registers_everything_without_the_extras():
    names = sorted(serializable_classes())
    code = f"""
        import json, sys
        for extra in {list(EXTRAS)!r}:
            sys.modules[extra] = None  # importing it would fail
        import keras
        import kerastoolkit
        missing = [n for n in {names!r}
                   if keras.saving.get_registered_object("kerastoolkit>" + n) is None]
        print(json.dumps(missing))
    """
    assert json.loads(run_python(code)) == []


def test_plain_import_loads_toolkit_keras_files(tmp_path):
    from kerastoolkit.layers import LSTM
    from kerastoolkit.models import TransformerTranslator

    inputs = keras.Input((5, 3))
    lstm_model = keras.Model(inputs, LSTM(4)(inputs))
    translator = TransformerTranslator(
        source_vocabulary_size=20,
        target_vocabulary_size=20,
        max_length=6,
        hidden_dim=8,
        num_heads=2,
        intermediate_dim=8,
        num_layers=1,
    )
    tokens = {"source": np.ones((2, 6), "int32"), "target": np.ones((2, 6), "int32")}
    expected = {
        "lstm": lstm_model.predict(np.ones((2, 5, 3), "float32"), verbose=0),
        "translator": np.asarray(translator(tokens)),
    }
    lstm_model.save(tmp_path / "lstm.keras")
    translator.save(tmp_path / "translator.keras")
    code = f"""
        import json
        import keras
        import numpy as np
        import kerastoolkit
        lstm = keras.saving.load_model({str(tmp_path / "lstm.keras")!r})
        translator = keras.saving.load_model({str(tmp_path / "translator.keras")!r})
        tokens = {{"source": np.ones((2, 6), "int32"),
                  "target": np.ones((2, 6), "int32")}}
        print(json.dumps({{
            "lstm": lstm.predict(np.ones((2, 5, 3), "float32"), verbose=0).tolist(),
            "translator": np.asarray(translator(tokens)).tolist(),
        }}))
    """
    loaded = json.loads(run_python(code))
    for key, value in expected.items():
        np.testing.assert_allclose(loaded[key], value, atol=1e-5)
