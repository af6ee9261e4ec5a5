"""SavedModel export with serving signatures (TensorFlow-specific code lives here).

- `export_saved_model`: versioned SavedModels in TensorFlow Serving's layout,
  written atomically, with stored example requests (`next_version`).
- `load_saved_model`: loads an export with clear errors for damaged ones
  (`CorruptSavedModelError`, `check_saved_model_dir`); `check_endpoints`
  validates the endpoints passed to `export_saved_model`.
- `record_serving_examples`, `load_serving_examples`: the example requests and
  answers stored in a version's `assets.extra/serving_examples/`.
- `checked_endpoint` and the `check_*` graph checks (`input_checks`): serving
  signatures that refuse a bad request by name.
- `check_export_health` / `export_health_problems` (`UnhealthyExportError`):
  finite weights and finite example answers before an export is published;
  `publish_version` / `staged_versions`: race-safe publishing of staged exports.
- `RawTextClassifier`, `export_raw_text_classifier`: a text classifier with its
  preprocessor (KerasHub's tokenizer, or a `TextVectorization`) in one graph,
  exported to answer raw strings.
"""

from kerastoolkit.export.health_check import (
    UnhealthyExportError,
    check_export_health,
    export_health_problems,
)
from kerastoolkit.export.input_checks import (
    check_finite,
    check_length,
    check_range,
    check_shape,
    check_size,
    checked_endpoint,
)
from kerastoolkit.export.publishing import publish_version, staged_versions
from kerastoolkit.export.raw_text_serving import (
    RawTextClassifier,
    export_raw_text_classifier,
)
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
    "RawTextClassifier",
    "UnhealthyExportError",
    "check_endpoints",
    "check_export_health",
    "check_finite",
    "check_length",
    "check_range",
    "check_saved_model_dir",
    "check_shape",
    "check_size",
    "checked_endpoint",
    "export_health_problems",
    "export_raw_text_classifier",
    "publish_version",
    "staged_versions",
    "export_saved_model",
    "load_saved_model",
    "load_serving_examples",
    "next_version",
    "record_serving_examples",
]
