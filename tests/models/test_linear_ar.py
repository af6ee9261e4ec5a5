"""LinearAR: Yule-Walker and order selection against statsmodels, likelihood,
forecasts, least squares through `fit`, sampling and the forecast SavedModel."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from scipy.stats import norm
from statsmodels.regression.linear_model import yule_walker
from statsmodels.tsa.ar_model import ar_select_order
from statsmodels.tsa.arima.model import ARIMA

from kerastoolkit.datasets import sunspots
from kerastoolkit.export import export_saved_model
from kerastoolkit.models.linear_ar import LinearAR
from kerastoolkit.testing import (
    check_finite_differences,
    check_gradients,
    run_layer_checks,
    serving_process,
)


@pytest.fixture(scope="module")
def spots():
    return sunspots.load_data()[1]


def _simulate(phi, n, c=0.0, scale=1.0, seed=0, burn_in=200):
    rng = np.random.default_rng(seed)
    x = np.zeros(n + burn_in)
    for t in range(len(phi), len(x)):
        x[t] = (
            c + np.dot(phi, x[t - len(phi) : t][::-1]) + scale * rng.standard_normal()
        )
    return x[burn_in:]


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x), dtype=np.float64)


@pytest.mark.filterwarnings("ignore:yule_walker currently returns:FutureWarning")
@pytest.mark.parametrize(
    "method, reference",
    [("mle", "mle"), ("unbiased", "adjusted"), ("adjusted", "adjusted")],
)
@pytest.mark.parametrize("order", [2, 9])
def test_yule_walker_equals_statsmodels_on_sunspots(spots, method, reference, order):
    model = LinearAR(order, dtype="float64")
    result = model.fit_yule_walker(spots, method=method)
    rho, sigma = yule_walker(spots, order=order, method=reference)
    fitted = model.fitted_parameters()
    for coefficients in (result["coefficients"], fitted["coefficients"]):
        np.testing.assert_allclose(coefficients, rho, rtol=0, atol=1e-8)
    for variance in (result["noise_variance"], fitted["noise_variance"]):
        assert variance == pytest.approx(sigma**2, rel=1e-8)
    assert fitted["mean"] == pytest.approx(spots.mean(), rel=1e-8)


@pytest.mark.parametrize("criterion", ["aic", "bic"])
def test_order_selection_agrees_with_statsmodels(spots, criterion):
    simulated = _simulate([0.5, 0.0, -0.3], 120, seed=1)
    for series, max_order in ((spots, 20), (simulated, 8), (simulated[:40], 6)):
        order, criteria = LinearAR.select_order(series, max_order, criterion)
        reference = ar_select_order(series, max_order, ic=criterion, trend="c")
        expected = 0 if reference.ar_lags is None else len(reference.ar_lags)
        assert order == expected
        values = getattr(reference, criterion)
        for k in range(max_order + 1):
            key = tuple(range(1, k + 1)) if k else 0
            assert criteria[k] == pytest.approx(values[key], rel=1e-9)
    assert LinearAR.select_order(spots, 20, criterion)[0] == 9


def test_exact_and_conditional_log_likelihood(spots):
    model = LinearAR(3, dtype="float64")
    model.fit_yule_walker(spots)
    p = model.fitted_parameters()
    params = np.r_[p["mean"], p["coefficients"], p["noise_variance"]]
    exact = ARIMA(spots, order=(3, 0, 0), trend="c").loglike(params)
    assert model.log_likelihood(spots) == pytest.approx(exact, rel=1e-9)
    means = (
        p["intercept"]
        + np.stack([spots[3 - i : len(spots) - i] for i in (1, 2, 3)], axis=1)
        @ p["coefficients"]
    )
    conditional = norm.logpdf(spots[3:], means, np.sqrt(p["noise_variance"])).sum()
    assert model.log_likelihood(spots, conditional=True) == pytest.approx(
        conditional, rel=1e-12
    )


def test_forecast_and_intervals_equal_statsmodels(spots):
    model = LinearAR(9, dtype="float64")
    model.fit_yule_walker(spots[:-20], method="mle")
    p = model.fitted_parameters()
    params = np.r_[p["mean"], p["coefficients"], p["noise_variance"]]
    reference = (
        ARIMA(spots[:-20], order=(9, 0, 0), trend="c").filter(params).get_forecast(12)
    )
    ours = model.forecast(spots[:-20], 12, level=0.9)
    np.testing.assert_allclose(_numpy(ours["mean"]), reference.predicted_mean, 1e-9)
    np.testing.assert_allclose(_numpy(ours["stddev"]), reference.se_mean, 1e-9)
    interval = reference.conf_int(alpha=0.1)
    np.testing.assert_allclose(_numpy(ours["lower"]), interval[:, 0], 1e-9)
    np.testing.assert_allclose(_numpy(ours["upper"]), interval[:, 1], 1e-9)
    # One step ahead is the call on the last window, with the noise's stddev.
    window = spots[-29:-20][None]
    assert float(_numpy(ours["mean"])[0]) == pytest.approx(
        float(_numpy(model(window))[0]), rel=1e-12
    )
    assert float(_numpy(ours["stddev"])[0]) == pytest.approx(
        np.sqrt(p["noise_variance"]), rel=1e-12
    )


def test_least_squares_through_fit_reaches_ordinary_least_squares():
    series = _simulate([0.6, -0.3], 400, c=0.5, scale=0.7, seed=2)
    keras.utils.set_random_seed(0)
    model = LinearAR(2)
    windows, targets = model.training_windows(series)
    np.testing.assert_array_equal(windows[0], series[:2].astype("float32"))
    assert targets[0] == np.float32(series[2])
    design = np.concatenate([np.ones((len(windows), 1)), windows[:, ::-1]], axis=1)
    beta, *_ = np.linalg.lstsq(design, targets, rcond=None)
    residual = targets - design @ beta
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    batches = tf.data.Dataset.from_tensors((windows, targets)).repeat(600)
    model.fit(batches, epochs=1, verbose=0, shuffle=False)
    p = model.fitted_parameters()
    np.testing.assert_allclose(p["coefficients"], beta[1:], atol=2e-3)
    assert p["intercept"] == pytest.approx(beta[0], abs=2e-3)
    assert p["noise_variance"] == pytest.approx(np.mean(residual**2), rel=1e-2)
    # The Gaussian negative log-likelihood is the loss.
    loss = model.evaluate(windows, targets, batch_size=len(targets), verbose=0)
    assert loss == pytest.approx(
        -norm.logpdf(
            targets, _numpy(model(windows)), np.sqrt(p["noise_variance"])
        ).mean(),
        rel=1e-5,
    )


def test_shared_checks_and_likelihood_gradients(tmp_path, spots, float64):
    model = LinearAR(3)
    model.fit_yule_walker(spots)
    windows, targets = model.training_windows(spots[:40])
    run_layer_checks(
        model, windows[:4], tmp_path, more_inputs=[windows[:7]], gradients=False
    )

    def negative_log_likelihood(means=None):
        means = model(windows) if means is None else means
        return model.compute_loss(y=targets, y_pred=means)

    gradients = check_gradients(model, windows, loss_fn=negative_log_likelihood)
    assert set(gradients) == {w.path for w in model.trainable_weights}
    check_finite_differences(negative_log_likelihood, model.trainable_variables)


def test_forecast_saved_model_serves_without_kerastoolkit(tmp_path, spots):
    model = LinearAR(9)
    model.fit_yule_walker(spots)
    histories = np.stack([spots[-30:], spots[-40:-10]]).astype("float32")
    model(histories[:, -9:])
    path = export_saved_model(
        model, tmp_path / "ar", endpoints=model.serving_endpoints()
    )
    expected = model.forecast(histories, 7)
    for steps in (7, 2):
        lower, mean, stddev, upper = serving_process().serve(
            path, {"history": histories, "steps": np.int32(steps)}, signature="forecast"
        )
        assert mean.shape == (2, steps)
        for name, served in zip(
            ("lower", "mean", "stddev", "upper"),
            (lower, mean, stddev, upper),
            strict=True,
        ):
            np.testing.assert_allclose(
                served, _numpy(expected[name])[:, :steps], rtol=1e-5, err_msg=name
            )


def test_samples_have_the_model_autocovariances(float64):
    model = LinearAR(2)
    model(np.zeros((1, 2)))
    model.coefficients.assign([0.5, -0.3])
    model.intercept.assign(1.0)
    model.log_noise_variance.assign(np.log(0.8))
    paths = _numpy(model.sample(400, num_samples=200, seed=3))
    assert paths.shape == (200, 400)
    gamma = model.autocovariances(2)
    mean = model.fitted_parameters()["mean"]
    assert paths.mean() == pytest.approx(mean, abs=0.02)
    centred = paths - mean
    for lag in range(3):
        sample = np.mean(centred[:, lag:] * centred[:, : 400 - lag])
        assert sample == pytest.approx(gamma[lag], abs=0.03)
    np.testing.assert_array_equal(paths, _numpy(model.sample(400, 200, seed=3)))
    continued = _numpy(model.sample(5, 2, history=[0.0, 50.0], seed=4))
    # The first step continues the history: 1 + 0.5 * 50 - 0.3 * 0 + noise.
    assert np.all(np.abs(continued[:, 0] - 26.0) < 5 * np.sqrt(0.8))


def test_autocovariances_solve_the_yule_walker_equations(spots, float64):
    model = LinearAR(4)
    model.fit_yule_walker(spots, method="mle")
    gamma = model.autocovariances(6)
    phi, s = model.fitted_parameters()["coefficients"], model.noise_variance
    for j in range(7):
        expected = sum(phi[i - 1] * gamma[abs(j - i)] for i in range(1, 5))
        assert gamma[j] == pytest.approx(expected + (s if j == 0 else 0.0), rel=1e-10)


def test_order_zero_is_white_noise(spots, float64):
    model = LinearAR(0)
    model.fit_yule_walker(spots)
    assert model.noise_variance == pytest.approx(spots.var(), rel=1e-12)
    forecast = model.forecast(spots, 3)
    np.testing.assert_allclose(_numpy(forecast["mean"]), spots.mean(), rtol=1e-12)
    np.testing.assert_allclose(_numpy(forecast["stddev"]), spots.std(), rtol=1e-12)
    assert model.log_likelihood(spots) == pytest.approx(
        norm.logpdf(spots, spots.mean(), spots.std()).sum(), rel=1e-12
    )


def test_non_stationary_models_are_refused():
    model = LinearAR(1)
    model(np.zeros((1, 1), "float32"))
    model.coefficients.assign([1.2])
    with pytest.raises(ValueError, match="not stationary"):
        model.log_likelihood(np.arange(10.0))
    with pytest.raises(ValueError, match="not stationary"):
        model.sample(3)
    # Conditional on the first value it is still defined.
    assert np.isfinite(model.log_likelihood(np.arange(10.0), conditional=True))


def test_bad_inputs_are_named(spots):
    with pytest.raises(ValueError, match="`order` must be a non-negative integer"):
        LinearAR(-1)
    with pytest.raises(ValueError, match="`method` must be one of"):
        LinearAR(2).fit_yule_walker(spots, method="burg")
    with pytest.raises(ValueError, match="`criterion` must be one of"):
        LinearAR.select_order(spots, 5, criterion="hqic")
    with pytest.raises(ValueError, match="1-D array"):
        LinearAR(2).fit_yule_walker(spots[:, None])
    with pytest.raises(ValueError, match="at least 4 values"):
        LinearAR(3).fit_yule_walker(spots[:3])
    with pytest.raises(ValueError, match="constant"):
        LinearAR(2).fit_yule_walker(np.ones(10))
    with pytest.raises(ValueError, match="at least `order`=9"):
        model = LinearAR(9)
        model.fit_yule_walker(spots)
        model.forecast(spots[None, :5], 3)
