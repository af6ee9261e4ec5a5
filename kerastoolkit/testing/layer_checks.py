"""All the shared checks in one call, as every public layer and model test uses."""

from kerastoolkit.testing.config_roundtrip import check_config_roundtrip
from kerastoolkit.testing.gradient_checks import check_gradients
from kerastoolkit.testing.keras_saving import check_keras_saving
from kerastoolkit.testing.saved_model_serving import check_saved_model_export


def run_layer_checks(
    obj,
    inputs,
    tmp_path,
    *,
    more_inputs=(),
    atol=1e-5,
    gradients=True,
    export=True,
    loss_fn=None,
):
    """Runs the config, `.keras`, SavedModel and gradient checks on `obj`.

    Args:
        obj: a Keras layer or model.
        inputs: numpy array, or structure of arrays, with a batch of at least 2.
        tmp_path: a directory for saved files (`pathlib.Path`).
        more_inputs: further batches for the SavedModel check.
        atol: absolute tolerance for output comparisons.
        gradients: whether to run `check_gradients`.
        export: whether to run `check_saved_model_export`.
        loss_fn: passed to `check_gradients` (for weights that reach only the
            loss, not the outputs).
    """
    check_config_roundtrip(obj, inputs, atol=atol)
    check_keras_saving(obj, inputs, tmp_path, atol=atol)
    if export:
        check_saved_model_export(
            obj, inputs, tmp_path, more_inputs=more_inputs, atol=atol
        )
    if gradients:
        check_gradients(obj, inputs, loss_fn=loss_fn)
