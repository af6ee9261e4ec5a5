"""The linear-Gaussian autoregressive model AR(k) of the classical time-series books."""

import math
import statistics

import keras
import numpy as np
from keras import ops

from kerastoolkit.utils.argument_checks import (
    finite_array,
    non_negative_int,
    positive_int,
)

_LOG_2PI = math.log(2.0 * math.pi)
_YULE_WALKER_METHODS = ("unbiased", "adjusted", "mle")
_CRITERIA = ("aic", "bic")


def _as_series(series, name="series", min_length=1):
    return finite_array(name, series, ndim=1, min_length=min_length, unit="values")


def _toeplitz(first_column):
    index = np.arange(len(first_column))
    return first_column[np.abs(np.subtract.outer(index, index))]


def _lag_matrix(x, order, start):
    """Rows `[x_{t-1}, ..., x_{t-order}]` for `t = start, ..., len(x) - 1`."""
    columns = [x[start - i : len(x) - i] for i in range(1, order + 1)]
    if not columns:
        return np.empty((len(x) - start, 0))
    return np.stack(columns, axis=1)


def _write(buffer, index, value):
    """`buffer[index] = value` inside a loop (a graph op, no Python indexing)."""
    return ops.scatter_update(
        buffer, ops.reshape(ops.cast(index, "int32"), (1, 1)), value[None]
    )


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LinearAR(keras.Model):
    """The autoregressive model of order k with constant-variance Gaussian noise.

        x_t = c + phi_1 x_{t-1} + ... + phi_k x_{t-k} + e_t,    e_t ~ N(0, s)

    so `P(x_t | x_{t-k}, ..., x_{t-1}) = N(x_t; c + sum_i phi_i x_{t-i}, s)`,
    with mean `mu = c / (1 - sum_i phi_i)` when the process is stationary.
    The weights are `coefficients` (`phi_1..phi_k`), `intercept` (`c`) and
    `log_noise_variance` (`log s`).

    The model's call maps a window of the `k` previous values, oldest first,
    to the conditional mean of the next one. Three ways to fit:

    - `fit_yule_walker(series, method)`: solve the Yule-Walker equations
      `R phi = r` with the sample autocovariances `r_j = sum_t (x_t - m)
      (x_{t+j} - m) / n_j` (`R` the Toeplitz matrix of `r_0..r_{k-1}`) and
      set `s = r_0 - phi . r`, `c = m (1 - sum_i phi_i)`. `method="mle"`
      divides by `n_j = n`, `"unbiased"` (alias `"adjusted"`) by
      `n_j = n - j`; this is `statsmodels.regression.linear_model.
      yule_walker`.
    - `compile(optimizer)` then `fit(*model.training_windows(series))`:
      least squares through Keras. With no `loss` given, the loss is the
      Gaussian negative log-likelihood `1/2 [log 2 pi s + (x_t - mean_t)^2 /
      s]` (per step), whose minimiser is the least-squares `phi, c` and `s`
      the mean squared residual: the conditional maximum likelihood.
    - `select_order(series, max_order, criterion)` picks `k` by AIC or BIC.

    `log_likelihood` is exact (stationary start) or conditional on the first
    `k` values; `forecast` gives multi-step means and prediction intervals;
    `sample` draws paths.

    Args:
        order: non-negative integer `k` (0 is white noise around `c`).
        **kwargs: base model arguments (`name`, `dtype`, ...); use
            `dtype="float64"` to keep the Yule-Walker solution to full
            precision.

    Call arguments:
        inputs: windows `[x_{t-k}, ..., x_{t-1}]`, shape `(batch, k)`.

    Returns:
        The conditional mean of `x_t`, shape `(batch,)`.

    Example:

    >>> years, values = sunspots.load_data()
    >>> order, _ = LinearAR.select_order(values, max_order=15)
    >>> model = LinearAR(order)
    >>> _ = model.fit_yule_walker(values, method="mle")
    >>> model.forecast(values[None], steps=5)["mean"].shape
    TensorShape([1, 5])

    References:
        Box, Jenkins, Reinsel and Ljung, "Time Series Analysis: Forecasting
        and Control", 5th ed., Wiley 2015, chapters 3 and 5.
        Lecture notes, section 2.1.3 "Deep Regressive Model".
    """

    def __init__(self, order, **kwargs):
        super().__init__(**kwargs)
        self.order = non_negative_int("order", order)

    def build(self, input_shape=None):
        if input_shape is not None and input_shape[-1] not in (None, self.order):
            raise ValueError(
                f"Inputs must be windows of the last `order`={self.order} values, "
                f"got shape {tuple(input_shape)}."
            )
        self.coefficients = self.add_weight(
            shape=(self.order,), initializer="zeros", name="coefficients"
        )
        self.intercept = self.add_weight(
            shape=(), initializer="zeros", name="intercept"
        )
        self.log_noise_variance = self.add_weight(
            shape=(), initializer="zeros", name="log_noise_variance"
        )

    def _ensure_built(self):
        if not self.built:
            self.build((None, self.order))

    def _predict_mean(self, windows, dtype):
        # coefficients[i - 1] multiplies x_{t-i}, the (k - i)-th window entry.
        flipped = ops.flip(ops.cast(self.coefficients, dtype), axis=0)
        return ops.cast(self.intercept, dtype) + ops.sum(
            ops.cast(windows, dtype) * flipped, axis=-1
        )

    def call(self, inputs):
        return self._predict_mean(inputs, self.compute_dtype)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        if self.loss is not None:
            return super().compute_loss(x, y, y_pred, sample_weight, training)
        log_s = ops.cast(self.log_noise_variance, y_pred.dtype)
        residual = ops.reshape(ops.cast(y, y_pred.dtype), ops.shape(y_pred)) - y_pred
        negative = 0.5 * (_LOG_2PI + log_s + ops.square(residual) / ops.exp(log_s))
        if sample_weight is not None:
            negative = negative * ops.cast(sample_weight, negative.dtype)
        loss = ops.mean(negative)
        if self.losses:
            loss = loss + ops.cast(ops.sum(self.losses), loss.dtype)
        return loss

    @property
    def noise_variance(self):
        """The noise variance `s`, as a Python float."""
        self._ensure_built()
        return math.exp(float(ops.convert_to_numpy(self.log_noise_variance)))

    def fitted_parameters(self):
        """The fitted parameters in float64.

        Returns:
            A dict: `coefficients` (`phi_1..phi_k`, a NumPy array),
            `intercept` (`c`), `noise_variance` (`s`) and `mean` (`mu =
            c / (1 - sum phi)`, NaN when `sum phi = 1`).
        """
        self._ensure_built()
        phi = np.asarray(ops.convert_to_numpy(self.coefficients), dtype=np.float64)
        c = float(ops.convert_to_numpy(self.intercept))
        denominator = 1.0 - float(np.sum(phi))
        return {
            "coefficients": phi,
            "intercept": c,
            "noise_variance": self.noise_variance,
            "mean": c / denominator if denominator != 0.0 else math.nan,
        }

    def _assign(self, phi, intercept, noise_variance):
        self._ensure_built()
        self.coefficients.assign(np.asarray(phi, dtype=np.float64))
        self.intercept.assign(float(intercept))
        self.log_noise_variance.assign(math.log(noise_variance))

    def training_windows(self, series):
        """The `(inputs, targets)` pairs `fit` learns from.

        Args:
            series: 1-D array `x_1..x_n`.

        Returns:
            `(windows, targets)`: `windows[t]` is `[x_t, ..., x_{t+k-1}]` and
            `targets[t]` is `x_{t+k}`, as float32 arrays of shapes
            `(n - k, k)` and `(n - k,)`.
        """
        x = _as_series(series, min_length=self.order + 1)
        windows = _lag_matrix(x, self.order, self.order)[:, ::-1]
        return windows.astype("float32"), x[self.order :].astype("float32")

    def fit_yule_walker(self, series, method="mle"):
        """Sets the weights to the Yule-Walker estimate for `series`.

        Args:
            series: 1-D array of at least `order + 1` values.
            method: `"mle"` (autocovariances divided by `n`; the estimate is
                always stationary) or `"unbiased"` (alias `"adjusted"`,
                divided by `n - j`).

        Returns:
            A dict of float64 values: `coefficients`, `noise_variance` and
            `mean` (the sample mean `m`).

        Raises:
            ValueError: for an unknown `method`, a constant series, or a
                noise variance that comes out non-positive.
        """
        if method not in _YULE_WALKER_METHODS:
            raise ValueError(
                f"`method` must be one of {_YULE_WALKER_METHODS}, got {method!r}."
            )
        x = _as_series(series, min_length=self.order + 1)
        n, k = len(x), self.order
        mean = float(x.mean())
        centred = x - mean
        r = np.empty(k + 1)
        r[0] = centred @ centred / n
        for j in range(1, k + 1):
            divisor = n if method == "mle" else n - j
            r[j] = centred[:-j] @ centred[j:] / divisor
        if not r[0] > 0.0:
            raise ValueError("`series` is constant: its autocovariances are 0.")
        phi = np.linalg.solve(_toeplitz(r[:k]), r[1:]) if k else np.empty(0)
        noise_variance = float(r[0] - r[1:] @ phi)
        if not noise_variance > 0.0:
            raise ValueError(
                f"The Yule-Walker noise variance is {noise_variance:g} <= 0 "
                f"(method={method!r}); try method='mle', which is always valid."
            )
        self._assign(phi, mean * (1.0 - phi.sum()), noise_variance)
        return {"coefficients": phi, "noise_variance": noise_variance, "mean": mean}

    @classmethod
    def select_order(cls, series, max_order, criterion="aic"):
        """Chooses the order `k` in `0..max_order` by an information criterion.

        Every order is fitted by least squares with an intercept on the same
        `n = len(series) - max_order` targets (the first `max_order` values
        are held back), with the conditional log-likelihood
        `L_k = -n/2 (log(2 pi s_k) + 1)`, `s_k` the mean squared residual.
        The criteria count the `k` coefficients and the intercept, as
        `statsmodels.tsa.ar_model.ar_select_order` does:

            AIC = -2 L_k + 2 (k + 1)
            BIC = -2 L_k + log(n) (k + 1)

        Args:
            series: 1-D array.
            max_order: the largest order tried.
            criterion: `"aic"` or `"bic"`.

        Returns:
            `(order, criteria)`: the order with the smallest criterion (the
            smallest such order on a tie) and the criterion of each order
            `0..max_order`, a float64 array.
        """
        max_order = non_negative_int("max_order", max_order)
        if criterion not in _CRITERIA:
            raise ValueError(
                f"`criterion` must be one of {_CRITERIA}, got {criterion!r}."
            )
        x = _as_series(series, min_length=max_order + 2)
        targets = x[max_order:]
        n = len(targets)
        lags = _lag_matrix(x, max_order, max_order)
        penalty = 2.0 if criterion == "aic" else math.log(n)
        criteria = np.empty(max_order + 1)
        for k in range(max_order + 1):
            design = np.concatenate([np.ones((n, 1)), lags[:, :k]], axis=1)
            beta, *_ = np.linalg.lstsq(design, targets, rcond=None)
            residual = targets - design @ beta
            log_likelihood = (
                -0.5 * n * (math.log(2 * math.pi * residual @ residual / n) + 1)
            )
            criteria[k] = -2.0 * log_likelihood + penalty * (k + 1)
        return int(np.argmin(criteria)), criteria

    def autocovariances(self, max_lag):
        """The model's autocovariances `gamma_0..gamma_max_lag` (float64).

        They solve `gamma_j = sum_i phi_i gamma_{|j-i|} + s [j = 0]` for
        `j = 0..k` and then follow the recursion `gamma_j = sum_i phi_i
        gamma_{j-i}`.

        Raises:
            ValueError: if the model is not stationary (a root of
                `1 - phi_1 z - ... - phi_k z^k` on or inside the unit circle).
        """
        params = self.fitted_parameters()
        phi, s, k = params["coefficients"], params["noise_variance"], self.order
        self._check_stationary(phi)
        system = np.eye(k + 1)
        for j in range(k + 1):
            for i in range(1, k + 1):
                system[j, abs(j - i)] -= phi[i - 1]
        rhs = np.zeros(k + 1)
        rhs[0] = s
        gamma = list(np.linalg.solve(system, rhs))
        for j in range(k + 1, max_lag + 1):
            gamma.append(sum(phi[i - 1] * gamma[j - i] for i in range(1, k + 1)))
        return np.asarray(gamma[: max_lag + 1])

    @staticmethod
    def _check_stationary(phi):
        k = len(phi)
        if k == 0:
            return
        companion = np.zeros((k, k))
        companion[0] = phi
        companion[1:, :-1] = np.eye(k - 1)
        radius = float(np.max(np.abs(np.linalg.eigvals(companion))))
        if not radius < 1.0:
            raise ValueError(
                f"The model is not stationary (companion spectral radius "
                f"{radius:.6g} >= 1): it has no stationary distribution."
            )

    def log_likelihood(self, series, conditional=False):
        """The Gaussian log-likelihood of `series`, in float64.

        Conditional on the first `k` values it is

            sum_{t>k} log N(x_t; c + sum_i phi_i x_{t-i}, s);

        the exact likelihood adds `log N(x_1..x_k; mu 1, Gamma_k)`, the
        stationary density of the first `k` values (`Gamma_k` the Toeplitz
        matrix of `gamma_0..gamma_{k-1}`).

        Args:
            series: 1-D array of at least `order` values (`order + 1` when
                conditional).
            conditional: condition on the first `k` values instead of
                assuming a stationary start.

        Returns:
            The log-likelihood, a Python float.
        """
        k = self.order
        x = _as_series(series, min_length=k + 1 if conditional else max(k, 1))
        params = self.fitted_parameters()
        phi, c, s = (
            params["coefficients"],
            params["intercept"],
            params["noise_variance"],
        )
        residual = x[k:] - c - _lag_matrix(x, k, k) @ phi
        total = -0.5 * (
            len(residual) * (_LOG_2PI + math.log(s)) + residual @ residual / s
        )
        if conditional or k == 0:
            return float(total)
        gamma = self.autocovariances(k - 1)
        chol = np.linalg.cholesky(_toeplitz(gamma))
        whitened = np.linalg.solve(chol, x[:k] - params["mean"])
        start = -0.5 * (
            k * _LOG_2PI + 2.0 * np.sum(np.log(np.diag(chol))) + whitened @ whitened
        )
        return float(total + start)

    def forecast(self, history, steps, level=0.95):
        """Multi-step forecasts with Gaussian prediction intervals.

        The `h`-step mean follows the recursion with future noise set to 0;
        its error is `sum_{j<h} psi_j e_{t+h-j}`, with the moving-average
        weights `psi_0 = 1`, `psi_j = sum_i phi_i psi_{j-i}`, so

            variance_h = s (psi_0^2 + ... + psi_{h-1}^2)

        and the interval is `mean_h -/+ z stddev_h`, `z` the standard normal
        quantile of `(1 + level) / 2`. Graph-friendly (a `fori_loop`), so it
        exports with a tensor `steps`.

        Args:
            history: the series so far, shape `(batch, time)` or `(time,)`,
                with `time >= order`.
            steps: the number of steps ahead (an integer or a scalar tensor).
            level: the coverage of the interval, in (0, 1).

        Returns:
            A dict of tensors of shape `(batch, steps)` (or `(steps,)` for a
            1-D `history`): `mean`, `stddev`, `lower` and `upper`.
        """
        if not 0.0 < level < 1.0:
            raise ValueError(f"`level` must be in (0, 1), got {level!r}.")
        self._ensure_built()
        dtype = self.compute_dtype
        history = ops.cast(ops.convert_to_tensor(history), dtype)
        one_series = len(history.shape) == 1
        if one_series:
            history = history[None, :]
        if history.shape[1] is not None and history.shape[1] < self.order:
            raise ValueError(
                f"`history` must hold at least `order`={self.order} values, got "
                f"{history.shape[1]}."
            )
        k = self.order
        window = history[:, ops.shape(history)[1] - k :]
        flipped = ops.flip(ops.cast(self.coefficients, dtype), axis=0)
        intercept = ops.cast(self.intercept, dtype)

        def body(h, state):
            window, psi_window, total, means, variances = state
            mean = intercept + ops.sum(window * flipped, axis=-1)
            # psi_h, with psi_0 = 1 from the impulse at h = 0.
            psi = ops.sum(psi_window * flipped) + ops.cast(ops.equal(h, 0), dtype)
            total = total + ops.square(psi)
            if k:
                window = ops.concatenate([window[:, 1:], mean[:, None]], axis=1)
                psi_window = ops.concatenate([psi_window[1:], psi[None]], axis=0)
            return (
                window,
                psi_window,
                total,
                _write(means, h, mean),
                _write(variances, h, total[None]),
            )

        state = (
            window,
            ops.zeros((k,), dtype),
            ops.zeros((), dtype),
            ops.zeros((steps, ops.shape(history)[0]), dtype),
            ops.zeros((steps, 1), dtype),
        )
        *_, means, totals = ops.fori_loop(0, steps, body, state)
        mean = ops.transpose(means)
        stddev = ops.sqrt(
            ops.exp(ops.cast(self.log_noise_variance, dtype)) * ops.transpose(totals)
        ) * ops.ones_like(mean)
        z = statistics.NormalDist().inv_cdf(0.5 + 0.5 * level)
        result = {
            "mean": mean,
            "stddev": stddev,
            "lower": mean - z * stddev,
            "upper": mean + z * stddev,
        }
        if one_series:
            result = {name: value[0] for name, value in result.items()}
        return result

    def sample(self, steps, num_samples=1, history=None, seed=None):
        """Draws sample paths `x_{t+1}, ..., x_{t+steps}`.

        Args:
            steps: positive integer, the length of each path.
            num_samples: positive integer, the number of paths.
            history: optional 1-D array of at least `order` values to
                continue; by default the first `k` values are drawn from the
                stationary distribution `N(mu 1, Gamma_k)` and the paths are
                the `steps` values that follow them.
            seed: integer seed, a `keras.random.SeedGenerator`, or `None`.

        Returns:
            A tensor of shape `(num_samples, steps)`.
        """
        for name, value in (("steps", steps), ("num_samples", num_samples)):
            positive_int(name, value)
        generator = (
            seed
            if isinstance(seed, keras.random.SeedGenerator)
            else keras.random.SeedGenerator(seed)
        )
        dtype = self.compute_dtype
        k = self.order
        if history is None:
            params = self.fitted_parameters()
            chol = np.linalg.cholesky(_toeplitz(self.autocovariances(max(k - 1, 0))))
            start = keras.random.normal((num_samples, k), dtype=dtype, seed=generator)
            window = params["mean"] + ops.matmul(
                start, ops.convert_to_tensor(chol[:k, :k].T, dtype)
            )
        else:
            past = _as_series(history, "history", min_length=max(k, 1))
            window = ops.tile(
                ops.convert_to_tensor(past[len(past) - k :][None], dtype),
                (num_samples, 1),
            )
        noise = keras.random.normal((steps, num_samples), dtype=dtype, seed=generator)
        noise = noise * ops.sqrt(ops.exp(ops.cast(self.log_noise_variance, dtype)))
        flipped = ops.flip(ops.cast(self.coefficients, dtype), axis=0)
        intercept = ops.cast(self.intercept, dtype)

        def body(t, state):
            window, paths = state
            value = intercept + ops.sum(window * flipped, axis=-1) + noise[t]
            if k:
                window = ops.concatenate([window[:, 1:], value[:, None]], axis=1)
            return window, _write(paths, t, value)

        _, paths = ops.fori_loop(
            0, steps, body, (window, ops.zeros((steps, num_samples), dtype))
        )
        return ops.transpose(paths)

    def serving_endpoints(self, level=0.95, max_steps=1000):
        """Named SavedModel signatures, for `kerastoolkit.export.export_saved_model`.

        - `forecast(history, steps)`: `history` finite floats of shape
          `(batch, time)` with `time >= order`, `steps` an int32 scalar in
          `[1, max_steps]`; returns `mean`, `stddev`, `lower` and `upper`,
          each `(batch, steps)` (interval at `level`);
        - `serve(windows)`: the last `order` values of each series, `(batch,
          order)`, to `{"prediction": (batch,)}`, the one-step mean.

        A request outside these ranges fails with `InvalidArgumentError`
        naming the input (`kerastoolkit.export.input_checks`).

        Args:
            level: the coverage of the forecast intervals, in (0, 1).
            max_steps: positive integer, the most steps one `forecast`
                request may ask for (the forecast is a graph loop of `steps`
                iterations).

        Returns:
            A dict from endpoint name to `(function, input_signature)`.
        """
        from kerastoolkit.export import input_checks

        if not 0.0 < level < 1.0:
            raise ValueError(f"`level` must be in (0, 1), got {level!r}.")
        max_steps = positive_int("max_steps", max_steps)
        self._ensure_built()
        dtype = self.compute_dtype

        def forecast(history, steps):
            history = input_checks.check_length(
                "history", history, 1, self.order, "the AR order"
            )
            steps = input_checks.check_size("steps", steps, 1, max_steps, "max_steps")
            return self.forecast(history, steps, level=level)

        signature = [
            keras.InputSpec(shape=(None, None), dtype=dtype, name="history"),
            keras.InputSpec(shape=(), dtype="int32", name="steps"),
        ]
        windows = keras.InputSpec(shape=(None, self.order), dtype=dtype, name="windows")
        return {
            "serve": (lambda windows: {"prediction": self(windows)}, [windows]),
            "forecast": (forecast, signature),
        }

    def get_config(self):
        config = super().get_config()
        config.update(order=self.order)
        return config
