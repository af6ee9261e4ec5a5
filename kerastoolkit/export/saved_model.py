"""Export Keras models as versioned SavedModels in TensorFlow Serving's layout."""

import os
import shutil
from pathlib import Path

import keras

from kerastoolkit.export.input_checks import checked_endpoint
from kerastoolkit.export.saved_model_checks import check_endpoints
from kerastoolkit.export.serving_examples import record_serving_examples
from kerastoolkit.utils.argument_checks import positive_int


def next_version(export_root):
    """Returns 1 + the largest integer version directory under `export_root`."""
    root = Path(export_root)
    versions = (
        [int(p.name) for p in root.iterdir() if p.name.isdigit()]
        if (root.is_dir())
        else []
    )
    return max(versions, default=0) + 1


def export_saved_model(
    model,
    export_root,
    *,
    version=None,
    input_signature=None,
    endpoints=None,
    examples=None,
    example_imports=(),
    track=(),
):
    """Writes `model` to `export_root/<version>/` as a SavedModel.

    The layout is the one TensorFlow Serving reads (`model_base_path/<int>/`).
    Every signature checks its inputs in the graph before the model runs
    (`kerastoolkit.export.input_checks.checked_endpoint`): the rank and fixed
    sizes of each input's spec and, for floats, finite values; a bad request
    fails with `tf.errors.InvalidArgumentError` naming the input.
    The SavedModel is written to a temporary directory beside the target and
    renamed into place, so a crash never leaves a half-written version, and an
    existing version is never overwritten. The result loads with
    `tf.saved_model.load` in a process that has no kerastoolkit.

    Args:
        model: a built `keras.Model`.
        export_root: the model's base directory (e.g. `saved_models/NAME`).
        version: a positive integer; by default one more than the largest
            version already there.
        input_signature: optional input specs for the default endpoint (as in
            `keras.Model.export`), e.g. with `None` for variable axes. Name
            the specs (`tf.TensorSpec(..., name="images")`) for the client.
        endpoints: optional dict from endpoint name to `(fn, input_signature)`
            for extra signatures (e.g. `{"encode": (encoder, [spec])}`). The
            model's own call is exported as `serve`, unless `endpoints` has a
            `serve` of its own (a model's `serving_endpoints()` gives one with
            named inputs and outputs; `input_signature` must then be None);
            `serve` is also `serving_default` unless `endpoints` names one.
        examples: optional dict from signature name to raw example inputs (an
            array or list of arrays). Each runs through the signature's Python
            function here, and inputs and answers are stored in the version's
            `assets.extra/` for `kerastoolkit.testing.check_serving_examples`.
        example_imports: modules the serving process needs for `examples`
            (only "tensorflow_text", for in-graph tokenizers).
        track: extra resources the endpoints use that Keras' model tracking
            does not reach (e.g. a tokenizer's `tf.lookup` tables).

    Returns:
        The `pathlib.Path` of the written version directory.

    Example:

    ```python
    path = export_saved_model(model, "saved_models/fashion_mnist_cnn")
    served = tf.saved_model.load(str(path)).signatures["serving_default"]
    ```
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model, got {type(model).__name__}.")
    if not model.built:
        raise ValueError("`model` must be built (called once) before export.")
    check_endpoints(endpoints)
    endpoints = dict(endpoints or {})
    if "serve" in endpoints and input_signature is not None:
        raise ValueError(
            "`input_signature` is for the model's own call, but `endpoints` has "
            "its own `serve` endpoint: pass one of them, not both."
        )
    root = Path(export_root)
    root.mkdir(parents=True, exist_ok=True)
    if version is None:
        version = next_version(root)
    version = positive_int("version", version)
    target = root / str(version)
    if target.exists():
        raise FileExistsError(
            f"{target} already exists; pick another `version` (nothing was "
            "overwritten)."
        )
    staging = root / f".staging-{version}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        archive = keras.export.ExportArchive()
        if "serve" not in endpoints:
            if input_signature is None:
                # The same default signature `keras.Model.export` uses.
                from keras.src.export.export_utils import get_input_signature

                input_signature = get_input_signature(model)
            endpoints["serve"] = (model, input_signature)
        # Keras makes the first endpoint `serving_default` (unless one is named).
        endpoints = {"serve": endpoints.pop("serve"), **endpoints}
        archive.track(model)
        for resource in track:
            archive.track(resource)
        functions, signatures = {}, {}
        for name, (fn, signature) in endpoints.items():
            functions[name], signatures[name] = checked_endpoint(fn, signature)
            archive.add_endpoint(name, functions[name], signatures[name])
        archive.write_out(str(staging), verbose=False)
        if examples:
            # The examples run through the same checked functions as served.
            for table in (functions, signatures):
                table.setdefault("serving_default", table["serve"])
            record_serving_examples(
                staging, functions, examples, example_imports, signatures
            )
        os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
