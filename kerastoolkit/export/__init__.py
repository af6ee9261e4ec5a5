"""SavedModel export with serving signatures (TensorFlow-specific code lives here)."""

from kerastoolkit.export.saved_model import export_saved_model, next_version
from kerastoolkit.export.saved_model_checks import (
    CorruptSavedModelError,
    load_saved_model,
)

__all__ = [
    "CorruptSavedModelError",
    "export_saved_model",
    "load_saved_model",
    "next_version",
]
