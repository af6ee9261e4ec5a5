"""RoBERTa loading: parity with the transformers PyTorch reference on a tiny
random checkpoint, the tokenizer, sequence lengths, and the loading errors."""

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kerastoolkit.transfer.roberta.checkpoints import (
    CheckpointError,
    checkpoint_format,
    load_roberta_backbone,
    load_roberta_classifier,
    load_roberta_masked_lm,
    load_roberta_tokenizer,
)

SCRIPT = Path(__file__).parents[3] / "scripts" / "make_tiny_roberta_checkpoint.py"
SENTENCES = [
    "The film is a charming, funny story.",
    "Two dogs run on the beach",
    "It's not bad!",
]


def tiny_checkpoint(tmp_path_factory):
    """The script's checkpoint, made once per test session (shared by files)."""
    path = tmp_path_factory.getbasetemp() / "tiny_roberta_hf"
    if not (path / "model.safetensors").is_file():
        spec = importlib.util.spec_from_file_location("make_tiny_roberta", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.make_tiny_roberta_checkpoint(path, seed=0)
    return path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory)


@pytest.fixture(scope="module")
def reference(checkpoint):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    model = transformers.RobertaForMaskedLM.from_pretrained(str(checkpoint)).eval()
    return torch, model


def padded_batch(vocabulary_size, lengths=(12, 8, 5), width=12):
    """Token ids `<s> ... </s> <pad>...` of the given lengths, and the mask."""
    rng = np.random.default_rng(1)
    ids = rng.integers(5, vocabulary_size, (len(lengths), width))
    mask = np.zeros(ids.shape, bool)
    for row, length in enumerate(lengths):
        ids[row, 0] = 0
        ids[row, length - 1] = 2
        ids[row, length:] = 1
        mask[row, :length] = True
    return ids.astype("int32"), mask


def run_reference(reference, ids, mask, explicit_positions=False):
    torch, model = reference
    kwargs = {}
    if explicit_positions:
        # RoBERTa numbers real tokens from 2 and gives padding position 1;
        # KerasHub numbers every slot from 2. With these ids the two agree
        # at padding slots too.
        kwargs["position_ids"] = (
            torch.arange(ids.shape[1])[None].repeat(ids.shape[0], 1) + 2
        )
    with torch.no_grad():
        output = model(
            input_ids=torch.tensor(ids, dtype=torch.long),
            attention_mask=torch.tensor(mask.astype("int64")),
            output_hidden_states=True,
            **kwargs,
        )
    return output.hidden_states[-1].numpy(), output.logits.numpy()


def test_checkpoint_has_what_the_loader_must_handle(checkpoint):
    from safetensors.numpy import load_file

    weights = load_file(str(checkpoint / "model.safetensors"))
    # A non-zero segment embedding: only correct if folded into positions.
    assert np.abs(weights["roberta.embeddings.token_type_embeddings.weight"]).min() > 0
    assert checkpoint_format(checkpoint) == "hugging_face"
    config = json.loads((checkpoint / "config.json").read_text())
    assert config["model_type"] == "roberta"


def test_backbone_hidden_states_equal_transformers(checkpoint, reference):
    backbone = load_roberta_backbone(checkpoint)
    ids, mask = padded_batch(backbone.vocabulary_size)
    hidden, _ = run_reference(reference, ids, mask)
    ours = np.asarray(backbone({"token_ids": ids, "padding_mask": mask}))
    # Real tokens of padded rows: the attention mask keeps padding out.
    np.testing.assert_allclose(ours[mask], hidden[mask], atol=1e-4, rtol=0)
    # Row 1 alone, unpadded, gives the same real-token states.
    alone = np.asarray(
        backbone({"token_ids": ids[1:2, :8], "padding_mask": mask[1:2, :8]})
    )
    np.testing.assert_allclose(alone[0], ours[1, :8], atol=1e-5, rtol=0)
    # Padding slots too, once both libraries number positions alike.
    hidden_all, _ = run_reference(reference, ids, mask, explicit_positions=True)
    np.testing.assert_allclose(ours, hidden_all, atol=1e-4, rtol=0)


def test_masked_lm_logits_equal_transformers(checkpoint, reference):
    masked_lm = load_roberta_masked_lm(checkpoint)
    ids, mask = padded_batch(masked_lm.backbone.vocabulary_size)
    _, logits = run_reference(reference, ids, mask)
    positions = np.tile(np.arange(ids.shape[1], dtype="int32"), (ids.shape[0], 1))
    ours = np.asarray(
        masked_lm({"token_ids": ids, "padding_mask": mask, "mask_positions": positions})
    )
    assert ours.shape == logits.shape
    np.testing.assert_allclose(ours[mask], logits[mask], atol=1e-4, rtol=0)
    _, logits_all = run_reference(reference, ids, mask, explicit_positions=True)
    np.testing.assert_allclose(ours, logits_all, atol=1e-4, rtol=0)


def test_tokenizer_equals_transformers(checkpoint):
    transformers = pytest.importorskip("transformers")
    theirs = transformers.RobertaTokenizer(
        str(checkpoint / "vocab.json"), str(checkpoint / "merges.txt")
    )
    ours = load_roberta_tokenizer(checkpoint)
    for sentence in SENTENCES:
        expected = theirs(sentence, add_special_tokens=False)["input_ids"]
        assert [int(i) for i in np.asarray(ours(sentence))] == expected


def test_sequence_length_comes_from_the_checkpoint_and_can_be_lowered(checkpoint):
    classifier = load_roberta_classifier(checkpoint, 2)
    # max_position_embeddings = 34, two rows reserved.
    assert classifier.preprocessor.sequence_length == 32
    assert classifier.backbone.max_sequence_length == 32
    shorter = load_roberta_classifier(checkpoint, 3, sequence_length=16, dropout=0.2)
    assert shorter.preprocessor.sequence_length == 16
    features = shorter.preprocessor(SENTENCES)
    assert np.asarray(features["token_ids"]).shape == (3, 16)
    assert shorter.dropout == 0.2
    with pytest.raises(ValueError, match="`sequence_length` must be from 3 to 32"):
        load_roberta_classifier(checkpoint, 2, sequence_length=40)
    with pytest.raises(ValueError, match="`num_classes` must be at least 2"):
        load_roberta_classifier(checkpoint, 1)


def test_random_initialisation_keeps_the_architecture(checkpoint):
    pretrained = load_roberta_backbone(checkpoint)
    scratch = load_roberta_backbone(checkpoint, load_weights=False, dropout=0.0)
    assert [w.shape for w in scratch.weights] == [w.shape for w in pretrained.weights]
    assert not np.allclose(
        np.asarray(scratch.token_embedding.embeddings),
        np.asarray(pretrained.token_embedding.embeddings),
    )
    assert scratch.dropout == 0.0


def copy_without(checkpoint, tmp_path, *names):
    target = tmp_path / "checkpoint"
    shutil.copytree(checkpoint, target)
    for name in names:
        (target / name).unlink()
    return target


def test_missing_files_are_named(checkpoint, tmp_path):
    target = copy_without(checkpoint, tmp_path, "merges.txt", "vocab.json")
    with pytest.raises(CheckpointError, match="missing vocab.json, merges.txt"):
        load_roberta_backbone(target)


def test_pytorch_bin_only_is_explained(checkpoint, tmp_path):
    target = copy_without(checkpoint, tmp_path, "model.safetensors")
    (target / "pytorch_model.bin").write_bytes(b"not read")
    with pytest.raises(CheckpointError, match="only in pytorch_model.bin"):
        load_roberta_classifier(target, 2)
    (target / "config.json").unlink()
    with pytest.raises(CheckpointError, match="config.json is missing.*pytorch_model"):
        load_roberta_backbone(target)


def test_other_model_types_are_refused(checkpoint, tmp_path):
    target = copy_without(checkpoint, tmp_path)
    config = json.loads((target / "config.json").read_text())
    config["model_type"] = "bert"
    (target / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="model_type='bert', not 'roberta'"):
        load_roberta_masked_lm(target)


def test_masked_lm_needs_the_head(checkpoint, tmp_path):
    from safetensors.numpy import load_file, save_file

    target = copy_without(checkpoint, tmp_path)
    weights = load_file(str(target / "model.safetensors"))
    save_file(
        {k: v for k, v in weights.items() if not k.startswith("lm_head")},
        str(target / "model.safetensors"),
        metadata={"format": "pt"},
    )
    with pytest.raises(CheckpointError, match="no masked-LM head"):
        load_roberta_masked_lm(target)
    # The backbone alone still loads.
    assert load_roberta_backbone(target).num_layers == 2


def test_bad_sources(tmp_path):
    with pytest.raises(FileNotFoundError, match="No checkpoint directory"):
        load_roberta_backbone(str(tmp_path / "absent" / "dir"))
    with pytest.raises(ValueError, match="KerasHub RoBERTa preset name"):
        checkpoint_format("not_a_preset")
    assert checkpoint_format("roberta_base_en") == "preset_name"
    assert checkpoint_format("hf://FacebookAI/roberta-base") == "handle"
    with pytest.raises(CheckpointError, match="config.json is missing"):
        checkpoint_format(tmp_path)
