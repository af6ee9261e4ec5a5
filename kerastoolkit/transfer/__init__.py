"""Transfer learning: load a pretrained backbone, copy weights between models,
freeze and unfreeze, and fine-tune in two phases.

Example:

```python
from kerastoolkit.models.image_classifier import ImageClassifier
from kerastoolkit.transfer import fine_tune, load_backbone

backbone = load_backbone("runs/fashion_mnist/model.keras")  # trained on task A
classifier = ImageClassifier(backbone, num_classes=10)  # a new head for task B
fine_tune(classifier, backbone, x, y, head_epochs=10, fine_tune_epochs=10)
```

RoBERTa (KerasHub) lives in its own modules, imported from there so that this
package does not load KerasHub: `roberta_checkpoints` (load from a KerasHub
preset name or directory, or a local Hugging Face checkpoint),
`roberta_fine_tuning` (layer-wise-decay AdamW, warm-up schedule, early
stopping), `roberta_pretraining` (byte-level BPE + masked-LM pretraining saved
as a preset) and `raw_text_serving` (SavedModels that take raw strings).
"""

from kerastoolkit.transfer.backbone_loading import load_backbone, load_weights_checked
from kerastoolkit.transfer.fine_tuning import fine_tune
from kerastoolkit.transfer.freezing import (
    block_name,
    freeze,
    layer_blocks,
    unfreeze_top,
)
from kerastoolkit.transfer.weight_transfer import WeightShapeError, copy_weights

__all__ = [
    "WeightShapeError",
    "block_name",
    "copy_weights",
    "fine_tune",
    "freeze",
    "layer_blocks",
    "load_backbone",
    "load_weights_checked",
    "unfreeze_top",
]
