"""SavedModel export with serving signatures (TensorFlow-specific code lives here)."""

from kerastoolkit.export.saved_model import export_saved_model, next_version

__all__ = ["export_saved_model", "next_version"]
