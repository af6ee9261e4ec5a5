"""Raw example requests stored with a SavedModel, with the answers they must get.

`export_saved_model(..., examples=...)` runs each example through the Python
function behind a signature, in the exporting process, and stores inputs and
outputs in the SavedModel's `assets.extra/` folder (where TensorFlow Serving
keeps warm-up requests and which it otherwise ignores).
`kerastoolkit.testing.check_serving_examples` replays them in a process that
imports only TensorFlow: the served answers must equal the in-process ones.
"""

import inspect
import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

EXAMPLES_DIR = Path("assets.extra") / "serving_examples"


def _output_arrays(outputs):
    # The names TensorFlow gives a signature's outputs: dict keys, or
    # output_0, output_1, ... for a tensor or a list of tensors.
    if isinstance(outputs, dict):
        items = outputs.items()
    elif isinstance(outputs, list | tuple):
        items = ((f"output_{i}", value) for i, value in enumerate(outputs))
    else:
        items = [("output_0", outputs)]
    arrays = {}
    for name, value in items:
        array = np.asarray(value)
        if array.dtype == object:  # tf.string: store as text, no pickling
            array = np.char.decode(array.astype(bytes), "utf-8")
        arrays[name] = array
    return arrays


def _input_arrays(name, inputs):
    if not isinstance(inputs, list | tuple):
        inputs = [inputs]
    arrays = [np.asarray(x) for x in inputs]
    for i, array in enumerate(arrays):
        if array.dtype == object:
            raise ValueError(
                f"`examples[{name!r}]` input {i} is an object array; give strings as "
                "a NumPy str array (np.array(['a sentence']))."
            )
    return arrays


def _argument_names(function, specs, count):
    # A signature's arguments are named after named TensorSpecs, else after the
    # Python function's parameters; a Keras model's are args_0, args_0_1, ...
    # in order (served positionally, None here).
    specs = keras.tree.flatten(list(specs or []))
    if len(specs) != count:
        return None
    parameters = []
    if not isinstance(function, keras.layers.Layer):
        try:
            parameters = list(inspect.signature(function).parameters)
        except (TypeError, ValueError):
            parameters = []
    names = []
    for i, spec in enumerate(specs):
        name = getattr(spec, "name", None)
        if not name and len(parameters) == count:
            name = parameters[i]
        names.append(name)
    return names if all(names) else None


def record_serving_examples(
    version_dir, functions, examples, imports=(), input_signatures=None
):
    """Stores `examples` and their in-process answers in `version_dir`.

    Args:
        version_dir: the exported SavedModel directory.
        functions: dict from signature name to the Python callable behind it.
        examples: dict from signature name to its raw inputs: an array, a
            list of arrays in argument order, or a dict of arrays for a function
            that takes one dict.
        imports: modules the serving process must import first (only
            "tensorflow_text", for in-graph tokenizers).
        input_signatures: optional dict from signature name to its input
            specs; named `tf.TensorSpec`s make the examples keyword requests.

    Returns:
        The path of the examples' index file.
    """
    if not isinstance(examples, dict) or not examples:
        raise ValueError(
            "`examples` must be a non-empty dict from signature name to inputs, "
            f"got {examples!r}."
        )
    unknown = sorted(set(examples) - set(functions))
    if unknown:
        raise ValueError(
            f"`examples` names unknown signatures {unknown}; the exported "
            f"signatures are {sorted(functions)}."
        )
    folder = Path(version_dir) / EXAMPLES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    index = {"imports": list(imports), "examples": []}
    for number, (signature, inputs) in enumerate(examples.items()):
        names = None
        if isinstance(inputs, dict):
            # One structured argument (e.g. a model taking a dict of inputs):
            # the signature's arguments are its keys.
            names = list(inputs)
            arrays = _input_arrays(signature, list(inputs.values()))
            tensors = dict(zip(names, map(tf.convert_to_tensor, arrays), strict=True))
            outputs = functions[signature](tensors)
        else:
            arrays = _input_arrays(signature, inputs)
            outputs = functions[signature](*[tf.convert_to_tensor(x) for x in arrays])
        expected = _output_arrays(outputs)
        file_name = f"{number}.npz"
        np.savez(
            folder / file_name,
            **{f"input_{i}": x for i, x in enumerate(arrays)},
            **{f"output__{k}": v for k, v in expected.items()},
        )
        index["examples"].append(
            {
                "signature": signature,
                "file": file_name,
                "inputs": len(arrays),
                "argument_names": names
                or _argument_names(
                    functions[signature],
                    (input_signatures or {}).get(signature),
                    len(arrays),
                ),
                "outputs": sorted(expected),
            }
        )
    path = folder / "index.json"
    path.write_text(json.dumps(index, indent=2) + "\n")
    return path


def load_serving_examples(version_dir):
    """Returns `(imports, [(signature, inputs, expected_outputs_by_name)])`.

    `inputs` is a list in argument order, or a dict by argument name when the
    signature's specs were named.
    """
    folder = Path(version_dir) / EXAMPLES_DIR
    index_path = folder / "index.json"
    if not index_path.is_file():
        return (), []
    index = json.loads(index_path.read_text())
    loaded = []
    for entry in index["examples"]:
        with np.load(folder / entry["file"], allow_pickle=False) as arrays:
            inputs = [arrays[f"input_{i}"] for i in range(entry["inputs"])]
            if entry.get("argument_names"):
                inputs = dict(zip(entry["argument_names"], inputs, strict=True))
            expected = {k: arrays[f"output__{k}"] for k in entry["outputs"]}
        loaded.append((entry["signature"], inputs, expected))
    return tuple(index["imports"]), loaded
