"""Serve SavedModels in a separate process that imports TensorFlow only.

Importing TensorFlow takes seconds, so one long-lived worker process serves
every request of a test session (`serving_process()`), and is closed at exit.
"""

import atexit
import json
import os
import select
import subprocess
import sys
import tempfile
from pathlib import Path

import keras
import numpy as np

from kerastoolkit.testing.model_wrapping import (
    as_model,
    assert_outputs_close,
    call_layer,
    flexible_shapes,
)

_WORKER = Path(__file__).with_name("serving_worker.py")
_MARKER = "@@kerastoolkit-serving@@ "


class ServedRequestError(AssertionError):
    """A request the TensorFlow-only serving process answered with an error.

    Attributes:
        error_type: the class name of the exception raised there (e.g.
            "InvalidArgumentError" for a failed in-graph check).
        message: its message.
        seconds: how long the signature ran before failing (None when it
            failed before the call, e.g. loading the SavedModel).
    """

    def __init__(self, text, error_type, message, seconds):
        super().__init__(text)
        self.error_type = error_type
        self.message = message
        self.seconds = seconds


class ServingProcess:
    """A child Python process that loads and serves SavedModels.

    The child runs `serving_worker.py` as a script, imports only TensorFlow and
    NumPy, and reports whether `kerastoolkit` was ever imported in it.

    Args:
        timeout: seconds to wait for one answer before giving up.
    """

    def __init__(self, timeout=600.0):
        self.timeout = timeout
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env["PYTHONUNBUFFERED"] = "1"
        self._scratch = tempfile.TemporaryDirectory(prefix="kerastoolkit-serving-")
        # The worker's stderr goes to a file, quoted when the worker dies.
        self._stderr_path = Path(self._scratch.name) / "stderr.log"
        self._stderr = open(self._stderr_path, "w")  # noqa: SIM115 - closed in close()
        self._process = subprocess.Popen(
            [sys.executable, str(_WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
            cwd=tempfile.gettempdir(),
        )
        self._count = 0
        self._read_answer()

    def _read_answer(self):
        while True:
            ready, _, _ = select.select([self._process.stdout], [], [], self.timeout)
            if not ready:
                self.close()
                raise TimeoutError(
                    f"The serving process did not answer within {self.timeout} s."
                )
            line = self._process.stdout.readline()
            if not line:
                self._process.wait(timeout=10)
                tail = self._stderr_path.read_text()[-3000:]
                raise RuntimeError(
                    f"The serving process exited (code {self._process.poll()}); "
                    f"the end of its stderr:\n{tail}"
                )
            if line.startswith(_MARKER):
                return json.loads(line[len(_MARKER) :])

    def serve(self, export_dir, inputs, signature="serving_default", imports=()):
        """Calls `signature` of the SavedModel in `export_dir` on `inputs`.

        Args:
            export_dir: the SavedModel directory.
            inputs: an array, a list of arrays in argument order, or a dict from
                signature argument name to array.
            signature: the signature name.
            imports: extra modules the worker imports first; only
                "tensorflow_text" (whose ops in-graph tokenizers use) is allowed.
                The worker never imports kerastoolkit or keras_hub.

        Returns:
            The list of output arrays, sorted by output name (`output_0`,
            `output_1`, ... in order). `last_output_names` holds the names
            and `last_seconds` the time the signature call took.

        Raises:
            ServedRequestError: if the request failed in the serving process
                (an `AssertionError`, with the error's class and message).
        """
        if isinstance(inputs, dict):
            arrays = {str(k): np.asarray(v) for k, v in inputs.items()}
        else:
            flat = keras.tree.flatten(inputs)
            arrays = {str(i): np.asarray(v) for i, v in enumerate(flat)}
        self._count += 1
        scratch = Path(self._scratch.name)
        in_path = scratch / f"in_{self._count}.npz"
        out_path = scratch / f"out_{self._count}.npz"
        np.savez(in_path, **arrays)
        request = {
            "export_dir": str(Path(export_dir).resolve()),
            "signature": signature,
            "inputs": str(in_path),
            "outputs": str(out_path),
            "imports": list(imports),
        }
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            pass  # the worker died: _read_answer reports why
        answer = self._read_answer()
        if not answer["ok"]:
            in_path.unlink()
            raise ServedRequestError(
                f"Serving {export_dir} failed in the TensorFlow-only process:\n"
                f"{answer['error']}",
                answer["error_type"],
                answer["error_message"],
                answer["seconds"],
            )
        for package in ("kerastoolkit", "keras_hub"):
            if answer[f"imported_{package}"]:
                raise AssertionError(
                    f"Loading {export_dir} imported {package}: the SavedModel is not "
                    "self-contained."
                )
        self.last_output_names = list(answer["outputs"])
        self.last_seconds = answer["seconds"]
        with np.load(out_path) as outputs:
            result = [outputs[name] for name in answer["outputs"]]
        in_path.unlink()
        out_path.unlink()
        return result

    def close(self):
        """Ends the child process."""
        if self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._stderr.close()
        self._scratch.cleanup()


_SHARED = None


def serving_process():
    """Returns the process-wide `ServingProcess`, starting it on first use."""
    global _SHARED
    if _SHARED is None or _SHARED._process.poll() is not None:
        _SHARED = ServingProcess()
        atexit.register(_SHARED.close)
    return _SHARED


def _slice_batch(inputs, stop):
    return keras.tree.map_structure(lambda x: np.asarray(x)[:stop], inputs)


def check_saved_model_export(
    obj, inputs, tmp_path, *, more_inputs=(), atol=1e-5, rtol=1e-5
):
    """Exports `obj` as a SavedModel and serves it without kerastoolkit.

    The model is exported with `model.export(path, format="tf_saved_model")`
    (a bare layer is first wrapped in a functional model), with `None` for the
    batch axis and for any axis whose size differs in `more_inputs`. The
    `serving_default` signature is then called in a separate process that
    imports TensorFlow only, on `inputs[:1]`, on `inputs` and on each of
    `more_inputs`, and must give the in-process outputs.

    Args:
        obj: a Keras layer or model.
        inputs: numpy array, or structure of arrays, with a batch of at least 2.
        tmp_path: a directory for the export (`pathlib.Path`).
        more_inputs: further input batches (other batch sizes, other lengths).
        atol: absolute tolerance.
        rtol: relative tolerance.

    Returns:
        The export directory.
    """
    first = np.asarray(keras.tree.flatten(inputs)[0])
    if first.shape[0] < 2:
        raise ValueError(
            f"`inputs` must hold a batch of at least 2 examples, got {first.shape[0]}."
        )
    model = as_model(obj, inputs, more_inputs)
    specs = [
        keras.InputSpec(shape=shape, dtype=dtype, name=f"input_{i}")
        for i, (shape, dtype) in enumerate(flexible_shapes(inputs, more_inputs))
    ]
    signature = [keras.tree.pack_sequence_as(inputs, specs)]
    export_dir = Path(tmp_path) / f"{type(obj).__name__}_saved_model"
    model.export(
        str(export_dir),
        format="tf_saved_model",
        input_signature=signature,
        verbose=False,
    )
    server = serving_process()
    for batch in [_slice_batch(inputs, 1), inputs, *more_inputs]:
        named = {f"input_{i}": x for i, x in enumerate(keras.tree.flatten(batch))}
        assert_outputs_close(
            call_layer(model, batch),
            server.serve(export_dir, named),
            atol=atol,
            rtol=rtol,
            what="SavedModel outputs served without kerastoolkit",
        )
    return export_dir


def _as_text(array):
    if array.dtype.kind in ("S", "O"):
        return np.char.decode(array.astype(bytes), "utf-8")
    return array


def check_serving_examples(version_dir, *, atol=1e-4, rtol=1e-4):
    """Replays the examples stored with an export in the TensorFlow-only process.

    The examples (raw inputs and the answers the exporting process computed,
    written by `export_saved_model(..., examples=...)`) are served by
    `serving_process()`, which imports only TensorFlow (and tensorflow_text
    when the export asks for it); every output must match by name: floats to
    `atol`/`rtol`, integers and strings exactly.

    Returns:
        The number of examples checked (0 when the export stores none).
    """
    from kerastoolkit.export.serving_examples import load_serving_examples

    imports, examples = load_serving_examples(version_dir)
    process = serving_process()
    for signature, inputs, expected in examples:
        served = process.serve(
            version_dir, inputs, signature=signature, imports=imports
        )
        names = process.last_output_names
        assert sorted(names) == sorted(expected), (
            f"{version_dir} signature {signature!r} outputs {names}, expected "
            f"{sorted(expected)}"
        )
        for name, value in zip(names, served, strict=True):
            want, got = expected[name], _as_text(value)
            message = f"{version_dir} signature {signature!r} output {name!r}"
            if want.dtype.kind == "f":
                np.testing.assert_allclose(
                    got, want, atol=atol, rtol=rtol, err_msg=message
                )
            else:
                np.testing.assert_array_equal(got, want, err_msg=message)
    return len(examples)
