"""A serving process that imports TensorFlow only, never kerastoolkit.

Run as a script (`python serving_worker.py`), not imported. It reads one JSON
request per line on stdin: `{"export_dir", "signature", "inputs", "outputs"}`,
where `inputs` is an `.npz` file of arrays (named like the signature's
arguments, or `0`, `1`, ... in argument order). It loads the SavedModel with
`tf.saved_model.load` (cached per directory), calls the signature, writes the
outputs to the `outputs` `.npz` file (sorted by output name) and answers one
JSON line after `MARKER`. Any failure is answered, not raised, so one bad export
does not end the process: with the traceback, the exception's class and
message, and the seconds the signature ran before it failed (for a request
the signature refuses).
"""

import importlib
import json
import re
import sys
import time
import traceback

import numpy as np
import tensorflow as tf

MARKER = "@@kerastoolkit-serving@@ "


def _natural_key(name):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _answer(message):
    sys.stdout.write(MARKER + json.dumps(message) + "\n")
    sys.stdout.flush()


def _to_numpy(tensor):
    array = np.asarray(tensor.numpy())
    if array.dtype == object:
        # tf.string outputs come back as object arrays of bytes, which np.load
        # refuses without pickle: send them as fixed-width bytes instead.
        array = array.astype(np.bytes_)
    return array


# The only extra modules a request may ask for: tensorflow-text registers the
# string ops (regex split, wordpiece) that in-graph tokenizers save into a graph.
ALLOWED_IMPORTS = ("tensorflow_text",)


def _serve(request, cache):
    for module in request.get("imports", ()):
        if module not in ALLOWED_IMPORTS:
            raise ValueError(f"import {module!r} is not allowed: {ALLOWED_IMPORTS}")
        importlib.import_module(module)
    export_dir = request["export_dir"]
    if export_dir not in cache:
        cache[export_dir] = tf.saved_model.load(export_dir)
    loaded = cache[export_dir]
    signature_name = request.get("signature", "serving_default")
    if signature_name not in loaded.signatures:
        raise KeyError(
            f"signature {signature_name!r} not in {sorted(loaded.signatures)}"
        )
    function = loaded.signatures[signature_name]
    # Keras names positional arguments args_0, args_0_1, ...: natural order is
    # their flattened order.
    argument_names = sorted(function.structured_input_signature[1], key=_natural_key)
    with np.load(request["inputs"], allow_pickle=False) as arrays:
        given = {key: arrays[key] for key in arrays.files}
    if set(given) == set(argument_names):
        kwargs = given
    else:
        positional = [given[str(i)] for i in range(len(given))]
        if len(positional) != len(argument_names):
            raise ValueError(
                f"got {len(positional)} inputs for arguments {argument_names}"
            )
        kwargs = dict(zip(argument_names, positional, strict=True))
    tensors = {k: tf.constant(v) for k, v in kwargs.items()}
    start = time.perf_counter()
    try:
        outputs = function(**tensors)
    except Exception as error:
        error.call_seconds = time.perf_counter() - start
        raise
    seconds = time.perf_counter() - start
    names = sorted(outputs, key=_natural_key)
    np.savez(request["outputs"], **{n: _to_numpy(outputs[n]) for n in names})
    return {
        "ok": True,
        "outputs": names,
        "arguments": argument_names,
        "seconds": seconds,
        "imported_kerastoolkit": "kerastoolkit" in sys.modules,
        "imported_keras_hub": "keras_hub" in sys.modules,
    }


def main():
    cache = {}
    _answer({"ok": True, "ready": True, "tensorflow": tf.__version__})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            _answer(_serve(json.loads(line), cache))
        except Exception as error:  # noqa: BLE001 - reported back to the caller
            # An OpError's `message` is the op's own text, without the class.
            message = getattr(error, "message", None) or str(error)
            _answer(
                {
                    "ok": False,
                    "error": traceback.format_exc(),
                    "error_type": type(error).__name__,
                    "error_message": message,
                    "seconds": getattr(error, "call_seconds", None),
                }
            )


if __name__ == "__main__":
    main()
