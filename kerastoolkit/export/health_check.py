"""Is an export fit to publish? Finite weights and finite example answers.

A model trained with a NaN learning rate, or one that diverged, exports
without complaint and then answers NaN to every request. `check_export_health`
reads the version's variables from its checkpoint and the answers stored with
its example requests (`export_saved_model(..., examples=...)` records what the
exported model answered) and reports every non-finite value, without loading
the SavedModel's graph.
"""

from pathlib import Path

import numpy as np


class UnhealthyExportError(ValueError):
    """An export holds non-finite weights or gave non-finite example answers."""


def _non_finite(array):
    array = np.asarray(array)
    if array.dtype.kind not in "fc":
        return 0
    return int(array.size - np.isfinite(array).sum())


def export_health_problems(version_dir):
    """Lists what makes the export at `version_dir` unfit to serve.

    Args:
        version_dir: a SavedModel version folder (`.../NAME/3`).

    Returns:
        A list of strings, one per problem (empty when the export is healthy):
        a missing `saved_model.pb` or checkpoint, a variable with NaN or
        infinite entries, a stored example answer with NaN or infinite
        entries.
    """
    import tensorflow as tf

    from kerastoolkit.export.serving_examples import load_serving_examples

    version_dir = Path(version_dir)
    problems = []
    if not (version_dir / "saved_model.pb").is_file():
        return [f"{version_dir} has no saved_model.pb"]
    prefix = version_dir / "variables" / "variables"
    if (version_dir / "variables" / "variables.index").is_file():
        try:
            reader = tf.train.load_checkpoint(str(prefix))
            for name in sorted(reader.get_variable_to_shape_map()):
                count = _non_finite(reader.get_tensor(name))
                if count:
                    problems.append(f"variable {name!r} has {count} non-finite values")
        except (tf.errors.OpError, ValueError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            problems.append(f"the variables of {version_dir} cannot be read: {first}")
    _, examples = load_serving_examples(version_dir)
    for signature, _, outputs in examples:
        for name, value in outputs.items():
            count = _non_finite(value)
            if count:
                problems.append(
                    f"example answer {signature}/{name} has {count} non-finite values"
                )
    return problems


def check_export_health(version_dir):
    """Raises `UnhealthyExportError` naming every problem of the export.

    See `export_health_problems`.
    """
    problems = export_health_problems(version_dir)
    if problems:
        raise UnhealthyExportError(
            f"{version_dir} is not fit to serve: "
            + "; ".join(problems[:5])
            + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        )
