"""Writes a tiny, randomly initialised RoBERTa checkpoint in Hugging Face format.

The reference is transformers' PyTorch `RobertaForMaskedLM` on the CPU, seeded
with `torch.manual_seed`. The directory holds what a Hugging Face RoBERTa
checkpoint holds: `config.json`, `model.safetensors`, and a byte-level BPE
`vocab.json` + `merges.txt` trained with `tokenizers` on a few sentences.

Every weight is perturbed by seeded Gaussian noise after initialisation, so
that no bias is zero and no LayerNorm scale is one: a loader that drops or
swaps one of them cannot pass a parity test by luck. The segment (token type)
embedding is kept non-zero too, which loaders must fold into the position
embeddings (KerasHub's RoBERTa has no segment embedding).

Usage:

    python scripts/make_tiny_roberta_checkpoint.py OUTPUT_DIR [--seed 0]
"""

import argparse
import json
import os
from pathlib import Path

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
SENTENCES = (
    "The film is a charming, funny and moving story.",
    "A dull, lifeless remake that never finds its voice.",
    "Two young men are walking along the beach at sunset.",
    "To be, or not to be, that is the question.",
    "The acting is superb and the music is even better!",
    "It's not a bad movie, but it isn't a good one either.",
    "A dog runs through the snow with a stick in its mouth.",
    "Now is the winter of our discontent made glorious summer.",
)


def make_tiny_roberta_checkpoint(
    output_dir,
    seed=0,
    hidden_size=32,
    num_layers=2,
    num_heads=4,
    intermediate_size=37,
    max_position_embeddings=34,
    vocabulary_size=320,
):
    """Writes the checkpoint into `output_dir` and returns its path.

    Args:
        output_dir: the directory to write (created if needed).
        seed: `torch.manual_seed` of the weights and the noise.
        hidden_size: the model width.
        num_layers: Transformer layers.
        num_heads: attention heads.
        intermediate_size: the feed-forward width.
        max_position_embeddings: rows of the position table; the longest input
            is 2 tokens shorter (RoBERTa reserves rows 0 and 1).
        vocabulary_size: the BPE vocabulary size to train (256 bytes, the 5
            special tokens, then merges).

    Returns:
        The `pathlib.Path` of the checkpoint directory.
    """
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaForMaskedLM

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = ByteLevelBPETokenizer()
    tokenizer.train_from_iterator(
        list(SENTENCES),
        vocab_size=vocabulary_size,
        min_frequency=1,
        special_tokens=list(SPECIAL_TOKENS),
        show_progress=False,
    )
    tokenizer.save_model(str(output_dir))
    vocabulary = json.loads((output_dir / "vocab.json").read_text())
    ids = {token: vocabulary[token] for token in SPECIAL_TOKENS}

    torch.manual_seed(seed)
    config = RobertaConfig(
        vocab_size=len(vocabulary),
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings,
        type_vocab_size=1,
        bos_token_id=ids["<s>"],
        pad_token_id=ids["<pad>"],
        eos_token_id=ids["</s>"],
        hidden_act="gelu",
        layer_norm_eps=1e-5,
    )
    model = RobertaForMaskedLM(config).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    model.save_pretrained(str(output_dir), safe_serialization=True)
    return output_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", help="the checkpoint directory to write")
    parser.add_argument("--seed", type=int, default=0, help="torch.manual_seed")
    args = parser.parse_args(argv)
    path = make_tiny_roberta_checkpoint(args.output_dir, seed=args.seed)
    print(f"Wrote a tiny RoBERTa checkpoint to {path}: {sorted(os.listdir(path))}")


if __name__ == "__main__":
    main()
