"""RoBERTa in Keras: checkpoints, fine-tuning, local pretraining, serving.

- `checkpoints`: load from a KerasHub preset name or directory, or a local
  Hugging Face checkpoint (`load_roberta_backbone`, `load_roberta_tokenizer`,
  `load_roberta_classifier`, `load_roberta_masked_lm`, `checkpoint_format`,
  `check_hugging_face_checkpoint`, `resolve_sequence_length`,
  `CheckpointError`).
- `fine_tuning`: the recipe (AdamW with warm-up and linear decay, layer-wise
  learning-rate decay, early stopping): `fine_tune_roberta`,
  `compile_for_fine_tuning`, `warmup_adamw`,
  `layerwise_learning_rate_multipliers`, `fine_tuning_dtype`,
  `preprocess_batches`, `preprocessing_detached`, `predict_probabilities`.
- `pretraining`: byte-level BPE and masked-LM pretraining on local text,
  saved as a preset: `unlabelled_corpus`, `train_bpe_tokenizer`,
  `build_masked_lm`, `masked_lm_batches`, `pretrain_masked_lm`,
  `masked_lm_loss`, `save_pretrained`, `sample_fill_in`.
- `token_packing`: `fast_token_ids`, `pack_token_ids`.
- `raw_text_serving`: `RawTextClassifier`, `export_raw_text_classifier`
  (SavedModels that take raw strings).
- `keras_hub_adapter`: every use of KerasHub internals, in one place.

KerasHub is imported only when a function that needs it runs.
"""

from kerastoolkit.transfer.roberta.checkpoints import (
    CheckpointError,
    check_hugging_face_checkpoint,
    checkpoint_format,
    load_roberta_backbone,
    load_roberta_classifier,
    load_roberta_masked_lm,
    load_roberta_tokenizer,
    resolve_sequence_length,
)
from kerastoolkit.transfer.roberta.fine_tuning import (
    compile_for_fine_tuning,
    fine_tune_roberta,
    fine_tuning_dtype,
    layerwise_learning_rate_multipliers,
    predict_probabilities,
    preprocess_batches,
    preprocessing_detached,
    warmup_adamw,
)
from kerastoolkit.transfer.roberta.pretraining import (
    build_masked_lm,
    masked_lm_batches,
    masked_lm_loss,
    pretrain_masked_lm,
    sample_fill_in,
    save_pretrained,
    train_bpe_tokenizer,
    unlabelled_corpus,
)
from kerastoolkit.transfer.roberta.raw_text_serving import (
    RawTextClassifier,
    export_raw_text_classifier,
)
from kerastoolkit.transfer.roberta.token_packing import (
    fast_token_ids,
    pack_token_ids,
)

__all__ = [
    "CheckpointError",
    "RawTextClassifier",
    "build_masked_lm",
    "check_hugging_face_checkpoint",
    "checkpoint_format",
    "compile_for_fine_tuning",
    "export_raw_text_classifier",
    "fast_token_ids",
    "fine_tune_roberta",
    "fine_tuning_dtype",
    "layerwise_learning_rate_multipliers",
    "load_roberta_backbone",
    "load_roberta_classifier",
    "load_roberta_masked_lm",
    "load_roberta_tokenizer",
    "masked_lm_batches",
    "masked_lm_loss",
    "pack_token_ids",
    "predict_probabilities",
    "preprocess_batches",
    "preprocessing_detached",
    "pretrain_masked_lm",
    "resolve_sequence_length",
    "sample_fill_in",
    "save_pretrained",
    "train_bpe_tokenizer",
    "unlabelled_corpus",
    "warmup_adamw",
]
