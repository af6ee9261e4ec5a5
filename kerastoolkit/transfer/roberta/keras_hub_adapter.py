"""Every use of KerasHub internals, in one place.

KerasHub's public API loads presets but has no public way to read single
tensors of a Hugging Face safetensors checkpoint or to reach the variables of
a `MaskedLMHead`. This toolkit needs both to load local Hugging Face RoBERTa
checkpoints (`kerastoolkit.transfer.roberta.checkpoints`), so it uses
`keras_hub.src.utils.transformers.safetensor_utils.SafetensorLoader` and the
head's private sub-layers, here and nowhere else.
`tests/transfer/roberta/test_keras_hub_adapter.py` fails loudly when a KerasHub
release moves or renames any of them.
"""

MASKED_LM_HEAD_KEYS = {
    "lm_head.dense.weight": "intermediate_kernel",
    "lm_head.dense.bias": "intermediate_bias",
    "lm_head.layer_norm.weight": "layer_norm_gamma",
    "lm_head.layer_norm.bias": "layer_norm_beta",
    "lm_head.bias": "output_bias",
}
"""Hugging Face key of each masked-LM head weight -> its role in KerasHub's head."""


def safetensor_loader(source):
    """KerasHub's `SafetensorLoader` for a Hugging Face checkpoint directory.

    Use it as a context manager: `with safetensor_loader(path) as loader:`;
    `loader.get_tensor(key)` reads one tensor, `loader.port_weight(variable,
    key, hook_fn=...)` assigns one to a Keras variable.
    """
    from keras_hub.src.utils.transformers.safetensor_utils import SafetensorLoader

    return SafetensorLoader(source)


def masked_lm_head_variables(head):
    """The variables of a `keras_hub.layers.MaskedLMHead`, by role.

    Args:
        head: a built `MaskedLMHead` with an intermediate dense layer and
            layer normalisation (as RoBERTa's has).

    Returns:
        A dict with the roles of `MASKED_LM_HEAD_KEYS` as keys:
        `intermediate_kernel` `(hidden, hidden)`, `intermediate_bias`,
        `layer_norm_gamma`, `layer_norm_beta` `(hidden,)` and `output_bias`
        `(vocabulary_size,)`.
    """
    return {
        "intermediate_kernel": head._intermediate_dense.kernel,
        "intermediate_bias": head._intermediate_dense.bias,
        "layer_norm_gamma": head._intermediate_layer_norm.gamma,
        "layer_norm_beta": head._intermediate_layer_norm.beta,
        "output_bias": head._bias,
    }
