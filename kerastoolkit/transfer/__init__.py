"""Transfer learning: load a pretrained backbone, copy weights between models,
freeze and unfreeze, probe frozen features with a linear classifier
(`linear_probe`), and fine-tune in two phases (`fine_tune`).

Example:

```python
from kerastoolkit.models import ImageClassifier
from kerastoolkit.transfer import fine_tune, load_backbone

backbone = load_backbone("runs/fashion_mnist/model.keras")  # trained on task A
classifier = ImageClassifier(backbone, num_classes=10)  # a new head for task B
fine_tune(classifier, backbone, x, y, head_epochs=10, fine_tune_epochs=10)
```

RoBERTa (KerasHub) has its own package, `kerastoolkit.transfer.roberta`:
checkpoints, fine-tuning, masked-LM pretraining, token packing and raw-string
serving. KerasHub itself is imported only when one of its functions runs.
"""

from kerastoolkit.transfer import roberta
from kerastoolkit.transfer.backbone_loading import (
    HUB_SCHEMES,
    load_backbone,
    load_weights_checked,
)
from kerastoolkit.transfer.fine_tuning import fine_tune, linear_probe
from kerastoolkit.transfer.freezing import (
    block_name,
    freeze,
    layer_blocks,
    unfreeze_top,
)
from kerastoolkit.transfer.weight_transfer import WeightShapeError, copy_weights

__all__ = [
    "HUB_SCHEMES",
    "WeightShapeError",
    "block_name",
    "copy_weights",
    "fine_tune",
    "freeze",
    "layer_blocks",
    "linear_probe",
    "load_backbone",
    "load_weights_checked",
    "roberta",
    "unfreeze_top",
]
