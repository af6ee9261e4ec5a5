"""The RoBERTa fine-tuning recipe: per-variable AdamW rates (layer-wise decay),
the schedule, fast tokenisation, fit with early stopping, and the shared
checks (config, .keras, gradients, SavedModel) on the classifier."""

import keras
import numpy as np
import pytest

from kerastoolkit.datasets import mr, sst2
from kerastoolkit.testing import (
    check_config_roundtrip,
    check_gradients,
    check_keras_saving,
    check_saved_model_export,
)
from kerastoolkit.training.learning_rate_schedules import LinearWarmupDecay
from kerastoolkit.transfer.roberta.checkpoints import load_roberta_classifier
from kerastoolkit.transfer.roberta.fine_tuning import (
    compile_for_fine_tuning,
    fine_tune_roberta,
    fine_tuning_dtype,
    layerwise_learning_rate_multipliers,
    predict_probabilities,
)
from kerastoolkit.transfer.roberta.token_packing import fast_token_ids, pack_token_ids
from tests.transfer.roberta.test_checkpoints import tiny_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory)


@pytest.fixture
def classifier(checkpoint):
    keras.utils.set_random_seed(0)
    return load_roberta_classifier(checkpoint, 2, sequence_length=12)


def features_of(classifier, sentences):
    return {
        k: np.asarray(v) for k, v in classifier.preprocessor(list(sentences)).items()
    }


def test_layerwise_multipliers(classifier):
    multipliers = layerwise_learning_rate_multipliers(classifier, 0.5)
    assert set(multipliers) == {v.path for v in classifier.trainable_variables}
    assert multipliers["logits/kernel"] == 1.0
    assert multipliers["pooled_dense/bias"] == 1.0
    # Two layers: the top one 0.5, the bottom one 0.25, embeddings 0.125.
    assert multipliers["transformer_layer_1/self_attention_layer/query/kernel"] == 0.5
    assert multipliers["transformer_layer_0/feedforward_output_dense/bias"] == 0.25
    assert multipliers["embeddings/token_embedding/embeddings"] == 0.125
    assert multipliers["embeddings_layer_norm/gamma"] == 0.125
    with pytest.raises(ValueError, match="`layer_decay` must be in"):
        layerwise_learning_rate_multipliers(classifier, 1.5)


def test_compile_uses_warmup_and_decay(classifier):
    optimizer = compile_for_fine_tuning(classifier, 100, peak_learning_rate=1e-3)
    schedule = optimizer._learning_rate
    assert isinstance(schedule, LinearWarmupDecay)
    assert schedule.warmup_steps == 6 and schedule.total_steps == 100
    assert float(schedule(6)) == pytest.approx(1e-3)
    assert float(schedule(100)) == pytest.approx(0.0)
    assert fine_tuning_dtype(False) == "float32"
    with pytest.raises(ValueError, match="`total_steps` must be an integer >= 2"):
        compile_for_fine_tuning(classifier, 1)


def test_fast_tokenisation_equals_the_graph_tokenizer_and_transformers(checkpoint):
    import tensorflow as tf

    transformers = pytest.importorskip("transformers")
    classifier = load_roberta_classifier(checkpoint, 2, sequence_length=24)
    # SST-2 is tokenised text ("it 's"): the case KerasHub's eager path gets
    # wrong, so the comparison is with its graph path.
    sentences = sst2.load_data()["test"][0][:80] + mr.load_data()[1][0][:80]
    preprocessor = classifier.preprocessor
    tokenizer = preprocessor.tokenizer
    ids = fast_token_ids(tokenizer, sentences)
    reference = transformers.RobertaTokenizer(
        str(checkpoint / "vocab.json"), str(checkpoint / "merges.txt")
    )
    assert ids == [
        reference(s, add_special_tokens=False)["input_ids"] for s in sentences
    ]
    packed = pack_token_ids(ids, 24, tokenizer)
    graph = tf.data.Dataset.from_tensor_slices(sentences).batch(80).map(preprocessor)
    expected = {
        name: np.concatenate([np.asarray(batch[name]) for batch in graph])
        for name in ("token_ids", "padding_mask")
    }
    np.testing.assert_array_equal(packed["token_ids"], expected["token_ids"])
    np.testing.assert_array_equal(packed["padding_mask"], expected["padding_mask"])


def test_fine_tuning_learns_restores_the_best_epoch_and_saves(classifier, tmp_path):
    rng = np.random.default_rng(0)
    words = {1: ["good", "great", "fun"], 0: ["bad", "dull", "awful"]}
    labels = rng.integers(0, 2, 64)
    sentences = [f"a {rng.choice(words[y])} film" for y in labels]
    train, validation = slice(0, 48), slice(48, 64)
    history = fine_tune_roberta(
        classifier,
        (sentences[train], labels[train]),
        (sentences[validation], labels[validation]),
        epochs=4,
        batch_size=8,
        peak_learning_rate=3e-3,
        layer_decay=0.8,
        patience=4,
    )
    assert len(history["loss"]) == 4
    assert history["loss"][-1] < history["loss"][0]
    probabilities = predict_probabilities(classifier, sentences[validation])
    assert probabilities.shape == (16, 2)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)
    # Early stopping put back the weights of the best validation epoch.
    accuracy = np.mean(probabilities.argmax(-1) == labels[validation])
    assert accuracy == pytest.approx(max(history["val_accuracy"]))
    path = tmp_path / "fine_tuned.keras"
    classifier.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        predict_probabilities(loaded, sentences[validation]), probabilities, atol=1e-6
    )


def test_classifier_passes_the_shared_checks(classifier, tmp_path):
    inputs = features_of(classifier, ["a fine film", "not my cup of tea at all"])
    check_config_roundtrip(classifier, inputs)
    check_keras_saving(classifier, inputs, tmp_path)
    check_gradients(classifier, inputs)
    longer = features_of(classifier, ["one", "two words", "and three more words"])
    check_saved_model_export(classifier, inputs, tmp_path, more_inputs=[longer])
