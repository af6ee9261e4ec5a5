"""Shared test helpers that every public layer and model test calls.

Example:

```python
from kerastoolkit.testing import run_layer_checks

def test_my_layer(tmp_path):
    run_layer_checks(MyLayer(units=4), np.ones((2, 3), "float32"), tmp_path)
```
"""

from kerastoolkit.testing.config_roundtrip import check_config_roundtrip
from kerastoolkit.testing.gradient_checks import (
    check_finite_differences,
    check_gradients,
)
from kerastoolkit.testing.keras_saving import check_keras_saving
from kerastoolkit.testing.layer_checks import run_layer_checks
from kerastoolkit.testing.saved_model_serving import (
    ServedRequestError,
    ServingProcess,
    check_saved_model_export,
    check_serving_examples,
    serving_process,
)
from kerastoolkit.testing.serialization import (
    check_compile_saving,
    check_init_arguments_in_config,
    check_serialization,
    init_arguments,
)

__all__ = [
    "ServedRequestError",
    "ServingProcess",
    "check_compile_saving",
    "check_config_roundtrip",
    "check_finite_differences",
    "check_gradients",
    "check_init_arguments_in_config",
    "check_keras_saving",
    "check_saved_model_export",
    "check_serving_examples",
    "check_serialization",
    "init_arguments",
    "run_layer_checks",
    "serving_process",
]
