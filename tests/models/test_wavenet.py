"""WaveNet: shared checks, causality, receptive field, likelihoods, generation."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from scipy.special import log_softmax, logsumexp
from scipy.stats import norm

from kerastoolkit.models.wavenet import WaveNet, sample_categorical
from kerastoolkit.testing import check_finite_differences, run_layer_checks

_SMALL = {"dilations": (1, 2, 4), "residual_channels": 4, "skip_channels": 6}
_OPTIONS = {
    "gaussian": {},
    "mixture": {"num_mixtures": 3},
    "categorical": {"num_classes": 5},
}


def _model(distribution, **kwargs):
    return WaveNet(
        distribution=distribution, **_SMALL, **_OPTIONS[distribution], **kwargs
    )


def _inputs(distribution, batch=2, steps=12, features=2, seed=0):
    rng = np.random.default_rng(seed)
    if distribution == "categorical":
        return rng.integers(0, 5, (batch, steps)).astype("int32")
    return rng.standard_normal((batch, steps, features)).astype("float32")


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x), dtype=np.float64)


@pytest.mark.parametrize("distribution", ["gaussian", "categorical"])
def test_shared_checks(tmp_path, distribution):
    keras.utils.set_random_seed(0)
    run_layer_checks(
        _model(distribution),
        _inputs(distribution),
        tmp_path,
        more_inputs=[_inputs(distribution, batch=3, steps=5, seed=1)],
    )


def test_shared_checks_for_the_mixture_without_export(tmp_path):
    keras.utils.set_random_seed(0)
    run_layer_checks(_model("mixture"), _inputs("mixture"), tmp_path, export=False)


@pytest.mark.parametrize("distribution", ["gaussian", "mixture", "categorical"])
def test_changing_x_t_never_changes_earlier_predictions(distribution):
    keras.utils.set_random_seed(1)
    model = _model(distribution)
    assert model.receptive_field == 1 + 1 + 2 + 4
    x = _inputs(distribution, steps=20)
    changed = x.copy()
    t = 4
    if distribution == "categorical":
        changed[:, t] = (changed[:, t] + 1) % 5
    else:
        changed[:, t] += 1.0
    difference = np.abs(_numpy(model(changed)) - _numpy(model(x))).max(axis=(0, 2))
    # Outputs before t never move; t .. t + RF - 1 all do; later ones do not.
    np.testing.assert_array_equal(difference[:t], 0.0)
    assert np.all(difference[t : t + model.receptive_field] > 0)
    np.testing.assert_array_equal(difference[t + model.receptive_field :], 0.0)


@pytest.mark.parametrize("distribution", ["gaussian", "mixture", "categorical"])
def test_cached_steps_equal_the_call(distribution):
    keras.utils.set_random_seed(2)
    model = _model(distribution)
    x = _inputs(distribution, steps=15)
    expected = _numpy(model(x))
    parameters, cache = model.initial_cache(x[:, :3])
    steps = [_numpy(parameters)]
    for t in range(3, 15):
        parameters, cache = model.step(x[:, t], cache)
        steps.append(_numpy(parameters))
    np.testing.assert_allclose(np.stack(steps, axis=1), expected[:, 2:], atol=1e-5)


@pytest.mark.parametrize("distribution", ["gaussian", "mixture", "categorical"])
def test_cached_and_naive_generation_give_identical_samples(distribution, float64):
    keras.utils.set_random_seed(3)
    model = _model(distribution)
    prompt = _inputs(distribution, steps=3)
    cached = _numpy(model.generate(prompt, 14, temperature=0.8, seed=7))
    naive = _numpy(model.generate(prompt, 14, temperature=0.8, seed=7, cached=False))
    expected_shape = (2, 14) if distribution == "categorical" else (2, 14, 2)
    assert cached.shape == expected_shape
    np.testing.assert_allclose(cached, naive, rtol=0, atol=1e-12)
    other_seed = _numpy(model.generate(prompt, 14, temperature=0.8, seed=8))
    assert not np.array_equal(cached, other_seed)


def test_negative_log_likelihoods_equal_scipy(float64):
    rng = np.random.default_rng(4)
    targets = rng.standard_normal((2, 5, 2))
    gaussian = _model("gaussian")
    gaussian(targets)
    parameters = rng.standard_normal((2, 5, 4))
    expected = -norm.logpdf(
        targets, parameters[..., :2], np.exp(parameters[..., 2:])
    ).sum(-1)
    np.testing.assert_allclose(
        _numpy(gaussian.negative_log_likelihood(targets, parameters)), expected, 1e-12
    )

    mixture = _model("mixture")
    mixture(targets)
    parameters = rng.standard_normal((2, 5, 3 * 5))
    logits = parameters[..., :3]
    means = parameters[..., 3:9].reshape(2, 5, 3, 2)
    scales = np.exp(parameters[..., 9:].reshape(2, 5, 3, 2))
    component = norm.logpdf(targets[..., None, :], means, scales).sum(-1)
    expected = -logsumexp(log_softmax(logits, axis=-1) + component, axis=-1)
    np.testing.assert_allclose(
        _numpy(mixture.negative_log_likelihood(targets, parameters)), expected, 1e-12
    )

    categorical = _model("categorical")
    ids = rng.integers(0, 5, (2, 5))
    logits = rng.standard_normal((2, 5, 5))
    expected = -np.take_along_axis(log_softmax(logits, -1), ids[..., None], -1)[..., 0]
    np.testing.assert_allclose(
        _numpy(categorical.negative_log_likelihood(ids, logits)), expected, 1e-12
    )


def test_mixture_likelihood_matches_finite_differences(float64):
    keras.utils.set_random_seed(5)
    model = _model("mixture")
    x = tf.constant(_inputs("mixture").astype("float64"))
    model(x)
    check_finite_differences(
        lambda: ops.sum(model.negative_log_likelihood(x[:, 1:], model(x)[:, :-1])),
        [model.output_projection.kernel, model.gated_convolutions[0].kernel],
        rtol=1e-6,
    )


def test_mixture_mean_is_the_weighted_component_mean(float64):
    model = _model("mixture")
    model(_inputs("mixture"))
    parameters = np.random.default_rng(6).standard_normal((4, 15))
    weights = np.exp(log_softmax(parameters[:, :3], axis=-1))
    means = parameters[:, 3:9].reshape(4, 3, 2)
    np.testing.assert_allclose(
        _numpy(model.mean(parameters)), (weights[..., None] * means).sum(1), 1e-12
    )


def test_categorical_draws_follow_the_tempered_softmax():
    logits = np.log(np.array([[0.1, 0.6, 0.3]] * 20000, dtype="float32"))
    uniform = np.random.default_rng(7).uniform(size=20000).astype("float32")
    counts = np.bincount(_numpy(sample_categorical(logits, uniform, 1.0)).astype(int))
    np.testing.assert_allclose(counts / 20000, [0.1, 0.6, 0.3], atol=0.015)
    tempered = np.exp(np.log([0.1, 0.6, 0.3]) / 0.5)
    counts = np.bincount(_numpy(sample_categorical(logits, uniform, 0.5)).astype(int))
    np.testing.assert_allclose(counts / 20000, tempered / tempered.sum(), atol=0.015)
    greedy = _numpy(sample_categorical(logits[:5], uniform[:5], 0.0))
    np.testing.assert_array_equal(greedy, 1)


def test_gaussian_draws_have_the_predicted_mean_and_scale(float64):
    model = _model("gaussian")
    model(np.zeros((1, 2, 1)))
    parameters = np.tile([[1.5, np.log(0.5)]], (20000, 1))
    noise = np.random.default_rng(8).uniform(size=(20000, 1))
    draws = _numpy(model.sample_from(parameters, noise))
    assert abs(draws.mean() - 1.5) < 0.02 and abs(draws.std() - 0.5) < 0.02
    np.testing.assert_allclose(
        _numpy(model.sample_from(parameters[:3], noise[:3], 0)), 1.5
    )


def test_fit_learns_a_periodic_sequence():
    keras.utils.set_random_seed(9)
    sequence = np.tile([0, 1, 2, 3, 4, 2], 40)
    windows = np.stack([sequence[i : i + 25] for i in range(0, 200, 5)])
    model = WaveNet(
        dilations=(1, 2, 4),
        residual_channels=8,
        skip_channels=8,
        distribution="categorical",
        num_classes=5,
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    batches = tf.data.Dataset.from_tensors((windows[:, :-1], windows[:, 1:]))
    start = model.evaluate(windows[:, :-1], windows[:, 1:], verbose=0)
    model.fit(batches.repeat(100), epochs=1, verbose=0, shuffle=False)
    end = model.evaluate(windows[:, :-1], windows[:, 1:], verbose=0)
    # Uniform guessing costs log 5 = 1.61 nats; the sequence is deterministic
    # once a step and the one before it are seen.
    assert start > 1.3
    assert end < 0.1
    generated = _numpy(model.generate(windows[:1, :4], 12, temperature=0.0))
    expected = np.tile([0, 1, 2, 3, 4, 2], 3)[4:16]
    np.testing.assert_array_equal(generated[0], expected)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`distribution` must be one of"):
        WaveNet(distribution="poisson")
    with pytest.raises(ValueError, match="`num_classes` must be a positive integer"):
        WaveNet(distribution="categorical")
    with pytest.raises(ValueError, match="`num_mixtures` is only for"):
        WaveNet(num_mixtures=3)
    with pytest.raises(ValueError, match="`dilations` must be a positive integer"):
        WaveNet(dilations=(1, 0))
    with pytest.raises(ValueError, match="shape \\(batch, timesteps, features\\)"):
        WaveNet()(np.zeros((2, 5), "float32"))
