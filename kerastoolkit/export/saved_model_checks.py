"""Checks on SavedModel exports: the `endpoints` argument, and a written directory.

`check_endpoints` runs before `export_saved_model` writes anything, so a bad
endpoint spec fails with a message naming it instead of deep inside
`keras.export.ExportArchive`. `load_saved_model` checks a version directory's
files before handing it to `tf.saved_model.load`, so a truncated copy (no
`saved_model.pb`, no `variables/`) is reported as such, and when loading
fails it reads each file back to name the damaged one (a truncated
`variables.data-*` otherwise surfaces as a bare `IndexError: Read less bytes
than requested`).
"""

import re
from pathlib import Path

_SIGNATURE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CorruptSavedModelError(ValueError):
    """A SavedModel directory is incomplete or unreadable."""


def check_endpoints(endpoints):
    """Raises if `endpoints` is not `{name: (callable, [input specs])}`.

    Args:
        endpoints: None, or a dict from signature name (a Python identifier) to
            a `(function, input_signature)` pair, the signature a list or tuple
            of `tf.TensorSpec` / `keras.InputSpec`.

    Raises:
        ValueError: naming `endpoints` and the offending entry.
    """
    if endpoints is None:
        return
    if not isinstance(endpoints, dict):
        raise ValueError(
            "`endpoints` must be a dict from signature name to (function, "
            f"input_signature), got {type(endpoints).__name__}."
        )
    for name, spec in endpoints.items():
        if not isinstance(name, str) or not _SIGNATURE_NAME.match(name):
            raise ValueError(
                f"`endpoints` names must be identifiers (letters, digits, _), got "
                f"{name!r}."
            )
        if not isinstance(spec, tuple | list) or len(spec) != 2:
            raise ValueError(
                f"`endpoints[{name!r}]` must be a (function, input_signature) pair, "
                f"got {spec!r}."
            )
        function, signature = spec
        if not callable(function):
            raise ValueError(
                f"`endpoints[{name!r}]` function must be callable, got "
                f"{type(function).__name__}."
            )
        if not isinstance(signature, tuple | list):
            raise ValueError(
                f"`endpoints[{name!r}]` input_signature must be a list of specs, "
                f"got {type(signature).__name__}."
            )


def check_saved_model_dir(export_dir):
    """Raises `CorruptSavedModelError` if `export_dir` lacks a SavedModel's files.

    A complete SavedModel has `saved_model.pb` and, when it holds variables,
    `variables/variables.index` with every data shard the index names.
    """
    path = Path(export_dir)
    if not path.is_dir():
        raise FileNotFoundError(f"`export_dir` {path} is not a directory.")
    if not (path / "saved_model.pb").is_file():
        raise CorruptSavedModelError(
            f"`export_dir` {path} is not a complete SavedModel: saved_model.pb is "
            "missing."
        )
    variables = path / "variables"
    index = variables / "variables.index"
    if not index.is_file():
        raise CorruptSavedModelError(
            f"`export_dir` {path} is not a complete SavedModel: "
            "variables/variables.index is missing."
        )
    shards = list(variables.glob("variables.data-*-of-*"))
    if shards:
        expected = int(shards[0].name.rsplit("-of-", 1)[1])
        if len(shards) != expected:
            raise CorruptSavedModelError(
                f"`export_dir` {path} is not a complete SavedModel: "
                f"{len(shards)} of {expected} variable shards present."
            )
    else:
        raise CorruptSavedModelError(
            f"`export_dir` {path} is not a complete SavedModel: the variables' data "
            "files (variables/variables.data-*) are missing."
        )


def _damaged_file(export_dir):
    """Names the first file of a SavedModel that does not read back, or None.

    Reads `saved_model.pb` as a protocol buffer, then the variables' index,
    then every variable from the data shards (whose checksums TensorFlow
    verifies). Called only after loading failed, so the cost of reading the
    variables twice is paid only then.
    """
    import tensorflow as tf
    from google.protobuf.message import DecodeError
    from tensorflow.core.protobuf import saved_model_pb2

    path = Path(export_dir)
    try:
        graph = saved_model_pb2.SavedModel.FromString(
            (path / "saved_model.pb").read_bytes()
        )
    except DecodeError:
        return "saved_model.pb cannot be parsed (truncated or garbled)"
    if not graph.meta_graphs:
        return "saved_model.pb holds no MetaGraph (empty or truncated)"
    prefix = path / "variables" / "variables"
    try:
        reader = tf.train.load_checkpoint(str(prefix))
    except Exception as error:  # noqa: BLE001 - any failure names the file
        return (
            "variables/variables.index cannot be read (truncated or garbled: "
            f"{_first_line(error)})"
        )
    for key in sorted(reader.get_variable_to_dtype_map()):
        try:
            reader.get_tensor(key)
        except Exception as error:  # noqa: BLE001 - any failure names the file
            shards = sorted(
                f"variables/{shard.name}"
                for shard in prefix.parent.glob("variables.data-*-of-*")
            )
            return (
                f"{' or '.join(shards)} is truncated or garbled (reading {key!r}: "
                f"{_first_line(error)})"
            )
    return None


def _first_line(error):
    text = getattr(error, "message", None) or str(error)
    lines = text.strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def load_saved_model(export_dir):
    """Loads a SavedModel with `tf.saved_model.load`, after checking its files.

    Args:
        export_dir: a version directory, e.g. `saved_models/NAME/1`.

    Returns:
        The loaded object (call `.signatures["serving_default"]`).

    Raises:
        FileNotFoundError: if `export_dir` does not exist.
        CorruptSavedModelError: if files are missing, or loading fails and a
            file does not read back (truncated or garbled `saved_model.pb`,
            `variables.index` or `variables.data-*`); the message names the
            file. A failure with every file intact (e.g. an op that needs
            `import tensorflow_text`) is raised as it is.
    """
    import tensorflow as tf

    check_saved_model_dir(export_dir)
    try:
        return tf.saved_model.load(str(export_dir))
    except Exception as error:
        damaged = _damaged_file(export_dir)
        if damaged is None:
            raise
        raise CorruptSavedModelError(
            f"`export_dir` {export_dir} is damaged: {damaged}."
        ) from error
