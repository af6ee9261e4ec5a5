"""SavedModel export with serving signatures (TensorFlow-specific code lives here).

- `export_saved_model`: versioned SavedModels in TensorFlow Serving's layout,
  written atomically, with stored example requests (`next_version`).
- `load_saved_model`: loads an export with clear errors for damaged ones
  (`CorruptSavedModelError`, `check_saved_model_dir`); `check_endpoints`
  validates the endpoints passed to `export_saved_model`.
- `record_serving_examples`, `load_serving_examples`: the example requests and
  answers stored in a version's `assets.extra/serving_examples/`.
"""

from kerastoolkit.export.saved_model import export_saved_model, next_version
from kerastoolkit.export.saved_model_checks import (
    CorruptSavedModelError,
    check_endpoints,
    check_saved_model_dir,
    load_saved_model,
)
from kerastoolkit.export.serving_examples import (
    load_serving_examples,
    record_serving_examples,
)

__all__ = [
    "CorruptSavedModelError",
    "check_endpoints",
    "check_saved_model_dir",
    "export_saved_model",
    "load_saved_model",
    "load_serving_examples",
    "next_version",
    "record_serving_examples",
]
