"""Load RoBERTa from a KerasHub preset name, a KerasHub preset directory, or a
Hugging Face checkpoint directory, as a backbone, a text classifier or a
masked language model.

Hugging Face transformers 5 has no TensorFlow code left, so a Keras user reads
a Hugging Face RoBERTa checkpoint through KerasHub: its `RobertaBackbone` and
its own converter (`keras_hub/src/utils/transformers/convert_roberta.py`),
which `from_preset` picks for a directory whose `config.json` has
`"model_type": "roberta"`. This module adds what that path lacks:

- checks that name what is missing from a directory (a file, safetensors
  weights when only `pytorch_model.bin` is there, a model type that is not
  RoBERTa) before KerasHub fails on it;
- the masked-LM head (`lm_head.*`), which the converter does not port;
- the segment embedding: Hugging Face's RoBERTa adds row 0 of
  `token_type_embeddings` to every token (`token_type_ids` are all 0), while
  KerasHub's backbone has no segment embedding. Since
  `word[t] + position[p] + type[0]` = `word[t] + (position[p] + type[0])`,
  that row is folded into the position table, which is exact. (Converted
  fairseq checkpoints keep it at zero; others need not.)
- a sequence length taken from the checkpoint
  (`max_position_embeddings - 2`, RoBERTa reserves two position rows) that a
  caller may lower.

Nothing is downloaded unless `source` names something that exists only
online (a KerasHub preset name such as `"roberta_base_en"`, or a
`kaggle://` / `hf://` handle).

References:
    Liu et al., RoBERTa: A Robustly Optimized BERT Pretraining Approach, 2019.
"""

import json
from pathlib import Path

from kerastoolkit.transfer.backbone_loading import HUB_SCHEMES
from kerastoolkit.transfer.roberta.keras_hub_adapter import (
    MASKED_LM_HEAD_KEYS,
    masked_lm_head_variables,
    safetensor_loader,
)
from kerastoolkit.utils.argument_checks import positive_int, rate

CONFIG_FILE = "config.json"
HF_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")
HF_TOKENIZER_FILES = ("vocab.json", "merges.txt")
# Rows 0 and 1 of RoBERTa's position table are reserved (padding_idx = 1).
POSITION_OFFSET = 2
_TOKEN_TYPE_KEY = "roberta.embeddings.token_type_embeddings.weight"
_WORD_KEY = "roberta.embeddings.word_embeddings.weight"
_MLM_HEAD_KEYS = (
    "lm_head.dense.weight",
    "lm_head.dense.bias",
    "lm_head.layer_norm.weight",
    "lm_head.layer_norm.bias",
    "lm_head.bias",
)


class CheckpointError(ValueError):
    """A checkpoint directory that cannot be loaded as RoBERTa, with the reason."""


def checkpoint_format(source):
    """Says what `source` is: `"preset_name"`, `"handle"`, `"keras_hub"` or
    `"hugging_face"`.

    Args:
        source: a KerasHub preset name (`"roberta_base_en"`), a
            `kaggle://`/`hf://` handle, or a local directory.

    Returns:
        `"keras_hub"` for a directory written by `save_to_preset` (its
        `config.json` names a registered Keras class), `"hugging_face"` for
        one whose `config.json` has a `model_type`, `"handle"` for a remote
        handle, `"preset_name"` for a name KerasHub knows.

    Raises:
        FileNotFoundError: for a path that does not exist.
        CheckpointError: for a directory without `config.json` (naming what
            is missing and what is there) or with an unknown `config.json`.
    """
    if not isinstance(source, (str, Path)):
        raise TypeError(
            "`source` must be a preset name, a handle or a directory path, got "
            f"{type(source).__name__}."
        )
    text = str(source)
    if text.startswith(HUB_SCHEMES):
        return "handle"
    path = Path(text)
    if path.is_dir():
        config_path = path / CONFIG_FILE
        if not config_path.is_file():
            present = sorted(p.name for p in path.iterdir())
            hint = ""
            if "pytorch_model.bin" in present:
                hint = (
                    " It holds pytorch_model.bin: save the model again with "
                    "`save_pretrained(dir, safe_serialization=True)` to get "
                    "config.json and model.safetensors."
                )
            raise CheckpointError(
                f"{path} is not a checkpoint: config.json is missing (files "
                f"there: {present}).{hint}"
            )
        config = json.loads(config_path.read_text())
        if "registered_name" in config:
            return "keras_hub"
        if "model_type" in config:
            return "hugging_face"
        raise CheckpointError(
            f"{config_path} is neither a KerasHub preset config (no "
            "`registered_name`) nor a Hugging Face config (no `model_type`)."
        )
    if path.exists():
        raise CheckpointError(f"{path} is a file; a checkpoint is a directory.")
    import keras_hub

    if text in keras_hub.models.RobertaBackbone.presets:
        return "preset_name"
    if "/" in text or "\\" in text or text.startswith("."):
        raise FileNotFoundError(f"No checkpoint directory at {path}.")
    raise ValueError(
        "`source` must be a KerasHub RoBERTa preset name (one of "
        f"{sorted(keras_hub.models.RobertaBackbone.presets)}), a kaggle:// or "
        f"hf:// handle, or a checkpoint directory, got {text!r}."
    )


def check_hugging_face_checkpoint(path):
    """Checks that `path` is a loadable Hugging Face RoBERTa checkpoint.

    Args:
        path: a directory with `config.json`, `model.safetensors` (or a
            sharded `model.safetensors.index.json`), `vocab.json` and
            `merges.txt`.

    Returns:
        The parsed `config.json`.

    Raises:
        CheckpointError: naming every missing file; saying so when the weights
            are only in `pytorch_model.bin` (KerasHub reads safetensors only);
            naming the `model_type` when it is not `"roberta"`; saying so when
            the weights lack the `roberta.` prefix of `RobertaFor*` models.
    """
    path = Path(path)
    missing = [
        name
        for name in (CONFIG_FILE, *HF_TOKENIZER_FILES)
        if not (path / name).is_file()
    ]
    has_weights = any((path / name).is_file() for name in HF_WEIGHT_FILES)
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if not has_weights:
        if (path / "pytorch_model.bin").is_file():
            problems.append(
                "the weights are only in pytorch_model.bin (a PyTorch pickle); "
                "KerasHub reads model.safetensors: convert them with "
                "`RobertaForMaskedLM.from_pretrained(dir).save_pretrained(dir, "
                "safe_serialization=True)`"
            )
        else:
            problems.append("missing model.safetensors")
    if "vocab.json" in missing and (path / "tokenizer.json").is_file():
        problems.append(
            "tokenizer.json alone is not enough: KerasHub's RobertaTokenizer "
            "reads vocab.json and merges.txt"
        )
    if problems:
        raise CheckpointError(
            f"{path} is not a complete Hugging Face RoBERTa checkpoint: "
            + "; ".join(problems)
            + "."
        )
    config = json.loads((path / CONFIG_FILE).read_text())
    model_type = config.get("model_type")
    if model_type != "roberta":
        raise CheckpointError(
            f"{path / CONFIG_FILE} has model_type={model_type!r}, not 'roberta'; "
            "this loader reads RoBERTa checkpoints only (for other models use "
            "the matching keras_hub.models.<Model>Backbone.from_preset)."
        )
    if (path / "model.safetensors").is_file():
        keys = _safetensor_keys(path / "model.safetensors")
        if _WORD_KEY not in keys:
            raise CheckpointError(
                f"{path / 'model.safetensors'} has no {_WORD_KEY!r}: KerasHub's "
                "converter reads checkpoints saved from RobertaForMaskedLM or "
                "RobertaForSequenceClassification (weights under `roberta.`)."
            )
    return config


def _safetensor_keys(path):
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as file:
        return set(file.keys())


def _resolve(source):
    kind = checkpoint_format(source)
    if kind == "hugging_face":
        check_hugging_face_checkpoint(source)
    elif kind == "keras_hub":
        config = json.loads((Path(source) / CONFIG_FILE).read_text())
        name = config.get("registered_name", "")
        if "Roberta" not in name or "XLM" in name:
            raise CheckpointError(
                f"{Path(source) / CONFIG_FILE} holds a {name!r}, not a RoBERTa "
                "backbone (keras_hub>RobertaBackbone)."
            )
    return str(source), kind


def load_roberta_backbone(source, *, dropout=None, dtype=None, load_weights=True):
    """A `keras_hub.models.RobertaBackbone` from a preset name or a directory.

    Args:
        source: a KerasHub preset name (`"roberta_base_en"`, downloaded), a
            handle, a KerasHub preset directory, or a Hugging Face RoBERTa
            checkpoint directory (converted by KerasHub).
        dropout: the backbone's dropout rate; `None` keeps the checkpoint's
            (`hidden_dropout_prob` for a Hugging Face one).
        dtype: the dtype policy (e.g. `"float32"`, `"mixed_bfloat16"`).
        load_weights: `False` gives the architecture, randomly initialised.

    Returns:
        The backbone. For a Hugging Face checkpoint the segment embedding row
        is folded into the position embeddings (see the module docstring).

    Raises:
        CheckpointError: for an incomplete or non-RoBERTa directory.
        FileNotFoundError: for a path that does not exist.
    """
    import keras_hub

    source, kind = _resolve(source)
    kwargs = {}
    if dropout is not None:
        rate("dropout", dropout)
        kwargs["dropout"] = float(dropout)
    if dtype is not None:
        kwargs["dtype"] = dtype
    backbone = keras_hub.models.RobertaBackbone.from_preset(
        source, load_weights=load_weights, **kwargs
    )
    if kind == "hugging_face" and load_weights:
        _fold_token_type_embedding(backbone, source)
    return backbone


def _fold_token_type_embedding(backbone, source):
    with safetensor_loader(source) as loader:
        try:
            token_types = loader.get_tensor(_TOKEN_TYPE_KEY)
        except KeyError:
            return
    table = backbone.embeddings.position_embedding.position_embeddings
    table.assign(table.numpy() + token_types[0][None, :].astype(table.dtype))


def load_roberta_tokenizer(source):
    """The `keras_hub.models.RobertaTokenizer` of a preset or directory."""
    import keras_hub

    source, _ = _resolve(source)
    return keras_hub.models.RobertaTokenizer.from_preset(source)


def resolve_sequence_length(backbone, sequence_length=None):
    """The packed length: the checkpoint's longest by default, or shorter.

    Args:
        backbone: a RoBERTa backbone; `backbone.max_sequence_length` is the
            checkpoint's limit (`max_position_embeddings - 2` for a Hugging
            Face one).
        sequence_length: `None`, or a length from 3 to that limit.

    Returns:
        The sequence length to pack inputs to.
    """
    limit = backbone.max_sequence_length
    if sequence_length is None:
        return limit
    positive_int("sequence_length", sequence_length)
    if not 3 <= sequence_length <= limit:
        raise ValueError(
            f"`sequence_length` must be from 3 to {limit} (the checkpoint's "
            f"max_sequence_length), got {sequence_length}."
        )
    return sequence_length


def load_roberta_classifier(
    source,
    num_classes,
    *,
    sequence_length=None,
    dropout=0.1,
    backbone_dropout=None,
    activation=None,
    dtype=None,
    load_weights=True,
):
    """A `keras_hub.models.RobertaTextClassifier` with a new head.

    The backbone and tokenizer come from `source`; the classification head
    (`pooled_dense`, tanh, `output_dense`, with `dropout` before each dense
    layer, as in RoBERTa) is new and randomly initialised.

    Args:
        source: as in `load_roberta_backbone`.
        num_classes: the number of classes (>= 2).
        sequence_length: the packed length; by default the checkpoint's
            longest, may be lowered (not raised).
        dropout: the head's dropout rate.
        backbone_dropout: the backbone's dropout; `None` keeps the
            checkpoint's.
        activation: the output activation: `None` gives logits (train with
            `from_logits=True`), `"softmax"` probabilities.
        dtype: the dtype policy of the backbone and head.
        load_weights: `False` gives the same architecture, randomly
            initialised (the "from scratch" baseline).

    Returns:
        The classifier, with its `RobertaTextClassifierPreprocessor`, so that
        `fit`/`predict` take raw strings.

    Example:

    >>> classifier = load_roberta_classifier("path/to/hf_dir", 2, sequence_length=64)
    >>> classifier.predict(["a delight from start to finish"])
    """
    import keras_hub

    positive_int("num_classes", num_classes)
    if num_classes < 2:
        raise ValueError(f"`num_classes` must be at least 2, got {num_classes}.")
    rate("dropout", dropout)
    backbone = load_roberta_backbone(
        source, dropout=backbone_dropout, dtype=dtype, load_weights=load_weights
    )
    preprocessor = keras_hub.models.RobertaTextClassifierPreprocessor(
        load_roberta_tokenizer(source),
        sequence_length=resolve_sequence_length(backbone, sequence_length),
    )
    return keras_hub.models.RobertaTextClassifier(
        backbone,
        num_classes,
        preprocessor=preprocessor,
        activation=activation,
        dropout=dropout,
        dtype=dtype,
    )


def load_roberta_masked_lm(
    source,
    *,
    sequence_length=None,
    mask_selection_rate=0.15,
    dtype=None,
    load_weights=True,
):
    """A `keras_hub.models.RobertaMaskedLM` with its pretrained head.

    For a Hugging Face checkpoint the head (`lm_head.dense`,
    `lm_head.layer_norm`, `lm_head.bias`; the output projection is tied to
    the token embedding in both libraries) is ported with KerasHub's
    `SafetensorLoader`. For a KerasHub preset directory the task's own
    weights (`task.weights.h5`) are loaded when the preset holds a
    `RobertaMaskedLM`.

    Args:
        source: as in `load_roberta_backbone`.
        sequence_length: the packed length; by default the checkpoint's
            longest, may be lowered.
        mask_selection_rate: the share of tokens the preprocessor masks.
        dtype: the dtype policy.
        load_weights: `False` gives the architecture, randomly initialised.

    Returns:
        The masked LM, with a `RobertaMaskedLMPreprocessor`.

    Raises:
        CheckpointError: for a Hugging Face checkpoint without `lm_head.*`
            weights (a `RobertaModel` or a classifier), or a KerasHub preset
            without masked-LM head weights.
    """
    import keras_hub

    source, kind = _resolve(source)
    if not 0 < mask_selection_rate < 1:
        raise ValueError(
            f"`mask_selection_rate` must be in (0, 1), got {mask_selection_rate!r}."
        )
    if kind == "hugging_face" and load_weights:
        keys = _hf_keys(source)
        absent = [key for key in _MLM_HEAD_KEYS if key not in keys]
        if absent:
            raise CheckpointError(
                f"{source} has no masked-LM head (missing {absent}): it was "
                "not saved from RobertaForMaskedLM. Load a backbone or a "
                "classifier from it instead."
            )
    if kind in ("preset_name", "handle"):
        # A published preset: KerasHub loads the backbone and any head weights.
        task = keras_hub.models.RobertaMaskedLM.from_preset(
            source, load_weights=load_weights, **({"dtype": dtype} if dtype else {})
        )
        task.preprocessor = keras_hub.models.RobertaMaskedLMPreprocessor(
            load_roberta_tokenizer(source),
            sequence_length=resolve_sequence_length(task.backbone, sequence_length),
            mask_selection_rate=mask_selection_rate,
        )
        return task
    backbone = load_roberta_backbone(source, dtype=dtype, load_weights=load_weights)
    preprocessor = keras_hub.models.RobertaMaskedLMPreprocessor(
        load_roberta_tokenizer(source),
        sequence_length=resolve_sequence_length(backbone, sequence_length),
        mask_selection_rate=mask_selection_rate,
    )
    task = keras_hub.models.RobertaMaskedLM(
        backbone, preprocessor=preprocessor, dtype=dtype
    )
    if not load_weights:
        return task
    if kind == "hugging_face":
        _port_masked_lm_head(task, source)
        return task
    task_config = Path(source) / "task.json"
    weights = Path(source) / "task.weights.h5"
    if not (task_config.is_file() and weights.is_file()) or (
        "RobertaMaskedLM"
        not in json.loads(task_config.read_text()).get("registered_name", "")
    ):
        raise CheckpointError(
            f"{source} holds no RobertaMaskedLM head weights (task.json + "
            "task.weights.h5 of a RobertaMaskedLM); load a backbone or a "
            "classifier from it instead."
        )
    task.load_task_weights(str(weights))
    return task


def _hf_keys(source):
    path = Path(source)
    if (path / "model.safetensors").is_file():
        return _safetensor_keys(path / "model.safetensors")
    index = json.loads((path / "model.safetensors.index.json").read_text())
    return set(index["weight_map"])


def _port_masked_lm_head(task, source):
    import numpy as np

    variables = masked_lm_head_variables(task.masked_lm_head)
    with safetensor_loader(source) as loader:
        for key, role in MASKED_LM_HEAD_KEYS.items():
            loader.port_weight(
                variables[role],
                key,
                # Hugging Face stores dense kernels as (out, in).
                hook_fn=(lambda tensor, _: np.transpose(tensor))
                if role == "intermediate_kernel"
                else None,
            )
