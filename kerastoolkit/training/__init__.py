"""Training support, all exported here.

- Callbacks and checkpoints: `default_callbacks`, `ResumableBackup`,
  `AtomicModelCheckpoint`, `write_atomically`, `load_keras_model` (safe
  mode), `CorruptCheckpointError`, `IncompatibleCheckpointError`,
  `list_checkpoints`, `latest_checkpoint`,
  `read_checkpoint_state`, `load_checkpoint`, `restore_latest`.
- Distribution: `make_strategy` (by name), `split_cpu`, and the replica
  helpers `replica_context`, `scale_loss_for_replicas`,
  `draw_for_global_batch`, `sum_over_replicas`.
- Optimisation: `LayerwiseAdamW`, `LinearWarmupDecay`, `InverseSqrtWarmup`,
  `CosineToDeadline` (cosine decay finished early when a time budget binds),
  `TimeBudget` (stops `fit` before an epoch that would overrun).
- Losses: `MaskedCrossentropy` (padding-masked, label-smoothed, for sequences).
- `bptt_gradients`: the notes' back-propagation through time, in NumPy.
"""

from kerastoolkit.training.bptt import bptt_gradients
from kerastoolkit.training.callbacks import default_callbacks
from kerastoolkit.training.checkpointing import (
    AtomicModelCheckpoint,
    CorruptCheckpointError,
    IncompatibleCheckpointError,
    ResumableBackup,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    load_keras_model,
    read_checkpoint_state,
    restore_latest,
    write_atomically,
)
from kerastoolkit.training.cosine_to_deadline import CosineToDeadline
from kerastoolkit.training.distribution import (
    draw_for_global_batch,
    make_strategy,
    replica_context,
    scale_loss_for_replicas,
    split_cpu,
    sum_over_replicas,
)
from kerastoolkit.training.layerwise_adamw import LayerwiseAdamW
from kerastoolkit.training.learning_rate_schedules import (
    InverseSqrtWarmup,
    LinearWarmupDecay,
)
from kerastoolkit.training.masked_crossentropy import MaskedCrossentropy
from kerastoolkit.training.time_budget import TimeBudget

__all__ = [
    "AtomicModelCheckpoint",
    "CosineToDeadline",
    "CorruptCheckpointError",
    "IncompatibleCheckpointError",
    "InverseSqrtWarmup",
    "LayerwiseAdamW",
    "LinearWarmupDecay",
    "MaskedCrossentropy",
    "ResumableBackup",
    "TimeBudget",
    "bptt_gradients",
    "default_callbacks",
    "draw_for_global_batch",
    "latest_checkpoint",
    "list_checkpoints",
    "load_checkpoint",
    "load_keras_model",
    "make_strategy",
    "read_checkpoint_state",
    "replica_context",
    "restore_latest",
    "scale_loss_for_replicas",
    "split_cpu",
    "sum_over_replicas",
    "write_atomically",
]
