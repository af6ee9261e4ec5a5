"""The KerasHub internals the toolkit relies on (keras_hub_adapter.py).

These tests fail loudly when a KerasHub release moves or renames what the
adapter reaches into: `SafetensorLoader` and the `MaskedLMHead` sub-layers.
"""

import keras
import keras_hub
import numpy as np
from safetensors.numpy import save_file

from kerastoolkit.transfer.roberta.keras_hub_adapter import (
    MASKED_LM_HEAD_KEYS,
    masked_lm_head_variables,
    safetensor_loader,
)


def test_safetensor_loader_reads_and_ports_single_tensors(tmp_path):
    kernel = np.arange(6, dtype="float32").reshape(2, 3)
    save_file(
        {"roberta.encoder.kernel": kernel, "lm_head.bias": np.ones(4, "float32")},
        str(tmp_path / "model.safetensors"),
    )
    target = keras.Variable(np.zeros((3, 2), "float32"))
    with safetensor_loader(str(tmp_path)) as loader:
        np.testing.assert_array_equal(loader.get_tensor("lm_head.bias"), np.ones(4))
        # A key without its prefix is found by suffix, as Hugging Face keys are.
        np.testing.assert_array_equal(loader.get_tensor("encoder.kernel"), kernel)
        loader.port_weight(target, "encoder.kernel", hook_fn=lambda tensor, _: tensor.T)
    np.testing.assert_array_equal(np.asarray(target), kernel.T)


def test_masked_lm_head_variables_have_the_roles_and_shapes_expected():
    head = keras_hub.layers.MaskedLMHead(
        vocabulary_size=11, intermediate_activation="gelu", activation=None
    )
    hidden = 6
    head(np.zeros((2, 5, hidden), "float32"), mask_positions=np.zeros((2, 3), "int32"))
    variables = masked_lm_head_variables(head)
    assert set(variables) == set(MASKED_LM_HEAD_KEYS.values())
    shapes = {role: tuple(v.shape) for role, v in variables.items()}
    assert shapes == {
        "intermediate_kernel": (hidden, hidden),
        "intermediate_bias": (hidden,),
        "layer_norm_gamma": (hidden,),
        "layer_norm_beta": (hidden,),
        "output_bias": (11,),
    }
    # Each role is a distinct variable of the head.
    head_ids = {id(v) for v in head.weights}
    assert {id(v) for v in variables.values()} <= head_ids
    assert len({id(v) for v in variables.values()}) == len(variables)
