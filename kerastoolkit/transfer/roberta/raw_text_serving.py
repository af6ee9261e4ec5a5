"""Raw-string serving of a RoBERTa classifier: `kerastoolkit.export.raw_text_serving`.

The wrapper and its export serve every text classifier with a `preprocessor`
(KerasHub's, and `kerastoolkit.models.TextCNNClassifier` /
`RecurrentTextClassifier`), so they live in `kerastoolkit.export`; this module
keeps the RoBERTa package's names.
"""

from kerastoolkit.export.raw_text_serving import (
    RawTextClassifier,
    export_raw_text_classifier,
)

__all__ = ["RawTextClassifier", "export_raw_text_classifier"]
