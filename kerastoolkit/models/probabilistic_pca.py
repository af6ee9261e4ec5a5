"""Probabilistic PCA (Tipping and Bishop): a linear-Gaussian latent variable model."""

import math

import keras
import numpy as np
from keras import ops

from kerastoolkit.utils.argument_checks import finite_array, positive_int

_LOG_2PI = math.log(2.0 * math.pi)
# Rows per block when accumulating the covariance: bounds the centred copy.
_BLOCK_ROWS = 8192


def _as_float64_matrix(x, name="x"):
    return finite_array(
        name, x, ndim=2, min_length=2, shape_hint="(samples, features)", unit="samples"
    )


def _covariance_operator(x, mean, eigenpairs=True):
    """Returns `(S @ w as a function of w, trace(S), eigenvalues, eigenvectors)`.

    `S` is the maximum-likelihood covariance `(1/n) sum_n (x_n - mean)(x_n -
    mean)^T`. For tall data (`n >= d`) it is formed once, block by block from
    centred rows (no full centred copy and no `x^T x - n mean mean^T`
    cancellation); for wide data (`n < d`) it is never formed: products go
    through the centred data and the eigenpairs come from the `n x n` Gram
    matrix, whose non-zero eigenvalues are those of `S`.

    Args:
        x: float64 array `(n, d)`.
        mean: its column means.
        eigenpairs: whether to compute the eigenpairs (EM does not need them).

    Returns:
        `(cov_times, trace, eigenvalues, eigenvectors)`: eigenvalues in
        decreasing order, clipped at 0; eigenvectors as columns (`d x k`,
        `k = min(n, d)`); both `None` without `eigenpairs`.
    """
    n, d = x.shape
    if n >= d:
        cov = np.zeros((d, d))
        for start in range(0, n, _BLOCK_ROWS):
            centred = x[start : start + _BLOCK_ROWS] - mean
            cov += centred.T @ centred
        cov /= n
        trace = float(np.trace(cov))
        if not eigenpairs:
            return (lambda w: cov @ w), trace, None, None
        eigenvalues, eigenvectors = np.linalg.eigh(cov)
        eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
        return (lambda w: cov @ w), trace, np.maximum(eigenvalues, 0.0), eigenvectors
    centred = x - mean
    trace = float(np.sum(centred * centred) / n)

    def cov_times(w):
        return centred.T @ (centred @ w) / n

    if not eigenpairs:
        return cov_times, trace, None, None
    eigenvalues, vectors = np.linalg.eigh(centred @ centred.T / n)
    eigenvalues, vectors = eigenvalues[::-1], vectors[:, ::-1]
    eigenvalues = np.maximum(eigenvalues, 0.0)
    # u_j = X_c^T v_j / sqrt(n lambda_j), for the non-zero eigenvalues only.
    positive = eigenvalues > eigenvalues[0] * n * np.finfo(np.float64).eps
    eigenvectors = np.zeros((d, len(eigenvalues)))
    eigenvectors[:, positive] = (centred.T @ vectors[:, positive]) / np.sqrt(
        n * eigenvalues[positive]
    )
    return cov_times, trace, eigenvalues, eigenvectors


def _canonical(kernel):
    """Rotates `kernel` to orthogonal columns of decreasing norm, signs fixed.

    The likelihood depends on `W` only through `W W^T`, so `W R` for any
    rotation `R` is as good; this picks the representative `U S` of the thin
    SVD `W = U S V^T`, with the largest entry of each column positive.
    """
    u, s, _ = np.linalg.svd(kernel, full_matrices=False)
    kernel = u * s
    rows = np.argmax(np.abs(kernel), axis=0)
    signs = np.sign(kernel[rows, np.arange(kernel.shape[1])])
    return kernel * np.where(signs == 0, 1.0, signs)


def _average_log_likelihood(kernel, noise_variance, cov_kernel, trace):
    """Mean log-likelihood of the data whose covariance times `kernel` is given.

    With `M = W^T W + s I` (`q x q`) and `C = W W^T + s I`:
    `log|C| = (d - q) log s + log|M|` (matrix determinant lemma) and
    `tr(C^-1 S) = (tr S - tr(M^-1 W^T S W)) / s` (Woodbury), so the d x d
    matrix `C` is never formed.
    """
    d, q = kernel.shape
    m = kernel.T @ kernel + noise_variance * np.eye(q)
    _, log_det_m = np.linalg.slogdet(m)
    explained = np.trace(np.linalg.solve(m, kernel.T @ cov_kernel))
    return -0.5 * (
        d * _LOG_2PI
        + (d - q) * math.log(noise_variance)
        + log_det_m
        + (trace - explained) / noise_variance
    )


@keras.saving.register_keras_serializable(package="kerastoolkit")
class ProbabilisticPCA(keras.Model):
    """Probabilistic PCA: a Gaussian latent variable model with a linear decoder.

        P(z)   = N(z; 0, I_q)
        P(x|z) = N(x; W z + mu, s I_d)          (s = sigma^2)
        P(x)   = N(x; mu, C),  C = W W^T + s I_d
        P(z|x) = N(z; M^-1 W^T (x - mu), s M^-1),  M = W^T W + s I_q

    The model's output is the exact marginal log-likelihood of each sample,

        log P(x) = -1/2 [d log 2 pi + (d - q) log s + log|M|
                         + (|x - mu|^2 - |L^-1 W^T (x - mu)|^2) / s],

    with `L` the Cholesky factor of the `q x q` matrix `M` (matrix determinant
    lemma and Woodbury identity: no `d x d` matrix is ever formed or
    inverted). The weights are `kernel` (`W`, shape `(d, q)`), `mean` (`mu`)
    and `log_noise_variance` (`log s`).

    Three ways to fit reach the same maximum of the likelihood:

    - `fit_closed_form(x)`: the maximum-likelihood solution, `mu` the sample
      mean, `s` the mean of the `d - q` smallest eigenvalues of the sample
      covariance `S` (denominator `n`), `W = U_q (Lambda_q - s I)^(1/2)` from
      its top `q` eigenpairs. For wide data (`n < d`) the eigenpairs come from
      the `n x n` Gram matrix.
    - `fit_em(x, max_iter, tol)`: expectation-maximisation; each iteration
      never decreases the log-likelihood.
    - `compile(optimizer)` then `fit(x, ...)`: gradient ascent on the exact
      marginal log-likelihood, as for any Keras model; the loss is the mean
      negative log-likelihood (no `loss` argument is needed, and `y` is
      ignored).

    The two estimators are methods of their own rather than a `method=`
    argument of `fit`, so that `fit` keeps its Keras meaning (mini-batch
    optimisation with callbacks, history, distribution) while the estimators
    that need the whole data set at once say so in their names.

    The closed-form and EM fits run in NumPy float64 and store the result in
    the weights; `log_likelihood()` evaluates in float64 whatever the model's
    dtype, the forward pass (what `fit` and an export use) in the model's
    compute dtype. scikit-learn's `PCA` divides the covariance by `n - 1`, so
    its `noise_variance_` is `n / (n - 1)` times the maximum-likelihood `s`
    here; the log-likelihoods agree to second order in `1/n`.

    Args:
        latent_dim: positive integer `q`, smaller than the number of features.
        kernel_initializer: initializer of `W` for the gradient fit.
        **kwargs: base model arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: a tensor of shape `(batch, d)`.

    Returns:
        The log-likelihood `log P(x)` of each sample, shape `(batch,)`.

    Example:

    >>> x = np.random.default_rng(0).standard_normal((500, 6))
    >>> ppca = ProbabilisticPCA(latent_dim=2)
    >>> average = ppca.fit_closed_form(x)
    >>> ppca.log_likelihood(x).shape, ppca.transform(x).shape
    (TensorShape([500]), TensorShape([500, 2]))

    References:
        Tipping and Bishop, "Probabilistic Principal Component Analysis",
        Journal of the Royal Statistical Society B 61(3), 1999.
        Lecture notes, section 2.1.1 "Probabilistic PCA".
    """

    def __init__(self, latent_dim, kernel_initializer="random_normal", **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = positive_int("latent_dim", latent_dim)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError("The number of features (last axis) must be known.")
        if self.latent_dim >= features:
            raise ValueError(
                f"`latent_dim` must be smaller than the number of features: got "
                f"latent_dim={self.latent_dim} for {features} features (with "
                "latent_dim >= n_features the noise variance is 0 and the "
                "likelihood is unbounded)."
            )
        self.kernel = self.add_weight(
            shape=(features, self.latent_dim),
            initializer=self.kernel_initializer,
            name="kernel",
        )
        self.mean = self.add_weight(shape=(features,), initializer="zeros", name="mean")
        self.log_noise_variance = self.add_weight(
            shape=(), initializer="zeros", name="log_noise_variance"
        )

    @property
    def num_features(self):
        """The number of features `d` (known once built)."""
        return None if not self.built else int(self.kernel.shape[0])

    @property
    def noise_variance(self):
        """The noise variance `s = sigma^2`, as a Python float."""
        return math.exp(float(ops.convert_to_numpy(self.log_noise_variance)))

    def call(self, inputs):
        return self._log_likelihood(inputs, self.compute_dtype)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        negative = -y_pred
        if sample_weight is not None:
            negative = negative * ops.cast(sample_weight, negative.dtype)
        loss = ops.mean(negative)
        if self.losses:
            loss = loss + ops.cast(ops.sum(self.losses), loss.dtype)
        return loss

    def _parameters(self, dtype):
        return (
            ops.cast(self.kernel, dtype),
            ops.cast(self.mean, dtype),
            ops.cast(self.log_noise_variance, dtype),
        )

    def _whitened(self, inputs, dtype):
        """`(centred, L, L^-1 W^T centred^T, log s)` for the posterior and density."""
        self._ensure_built(inputs)
        kernel, mean, log_noise_variance = self._parameters(dtype)
        centred = ops.cast(inputs, dtype) - mean
        m = ops.matmul(ops.transpose(kernel), kernel) + ops.exp(
            log_noise_variance
        ) * ops.eye(self.latent_dim, dtype=dtype)
        chol = ops.cholesky(m)
        half = ops.solve_triangular(
            chol, ops.transpose(ops.matmul(centred, kernel)), lower=True
        )
        return centred, chol, half, log_noise_variance

    def _log_likelihood(self, inputs, dtype):
        centred, chol, half, log_noise_variance = self._whitened(inputs, dtype)
        d, q = self.num_features, self.latent_dim
        quadratic = (
            ops.sum(ops.square(centred), axis=-1) - ops.sum(ops.square(half), axis=0)
        ) / ops.exp(log_noise_variance)
        log_det = (d - q) * log_noise_variance + 2.0 * ops.sum(
            ops.log(ops.diagonal(chol))
        )
        return -0.5 * (d * _LOG_2PI + log_det + quadratic)

    def _ensure_built(self, inputs):
        if not self.built:
            self.build(tuple(inputs.shape))

    def log_likelihood(self, x):
        """The exact log-likelihood `log P(x)` of each sample, in float64.

        Args:
            x: array of shape `(n, d)`.

        Returns:
            A float64 tensor of shape `(n,)`.
        """
        return self._log_likelihood(ops.convert_to_tensor(x), "float64")

    def posterior(self, x):
        """The Gaussian posterior `P(z|x) = N(M^-1 W^T (x - mu), s M^-1)`.

        Args:
            x: array of shape `(n, d)`.

        Returns:
            `(mean, covariance)`: `mean` of shape `(n, q)`, one per sample,
            and `covariance` of shape `(q, q)`, shared by all samples.
        """
        inputs = ops.convert_to_tensor(x)
        dtype = self.compute_dtype
        _, chol, half, log_noise_variance = self._whitened(inputs, dtype)
        chol_t = ops.transpose(chol)
        mean = ops.transpose(ops.solve_triangular(chol_t, half, lower=False))
        identity = ops.eye(self.latent_dim, dtype=dtype)
        inverse_chol = ops.solve_triangular(chol, identity, lower=True)
        covariance = ops.exp(log_noise_variance) * ops.matmul(
            ops.transpose(inverse_chol), inverse_chol
        )
        return mean, covariance

    def transform(self, x):
        """The posterior mean `E[z|x] = M^-1 W^T (x - mu)`, shape `(n, q)`."""
        return self.posterior(x)[0]

    def inverse_transform(self, z):
        """The mean of `P(x|z)`, `W z + mu`, shape `(n, d)`."""
        z = ops.cast(ops.convert_to_tensor(z), self.compute_dtype)
        return ops.matmul(z, ops.transpose(self.kernel)) + self.mean

    def reconstruct(self, x):
        """The orthogonal projection of `x - mu` onto the span of `W`, plus `mu`.

        This is the best reconstruction from the posterior mean,
        `W (W^T W)^-1 M E[z|x] + mu`; at the maximum-likelihood solution it is
        PCA's reconstruction from the top `q` components. (`inverse_transform`
        of the posterior mean is shrunk towards `mu` when `s > 0`.)
        """
        inputs = ops.cast(ops.convert_to_tensor(x), self.compute_dtype)
        self._ensure_built(inputs)
        basis, _ = ops.qr(self.kernel, mode="reduced")
        centred = inputs - self.mean
        projected = ops.matmul(ops.matmul(centred, basis), ops.transpose(basis))
        return projected + self.mean

    def sample(self, num_samples, seed=None):
        """Draws `num_samples` samples of `x` from `P(x)` (noise included).

        Args:
            num_samples: positive integer.
            seed: integer seed, a `keras.random.SeedGenerator`, or `None`.

        Returns:
            A tensor of shape `(num_samples, d)`.
        """
        if not self.built:
            raise ValueError("The model must be built (fit) before sampling.")
        num_samples = positive_int("num_samples", num_samples)
        generator = (
            seed
            if isinstance(seed, keras.random.SeedGenerator)
            else keras.random.SeedGenerator(seed)
        )
        dtype = self.compute_dtype
        z = keras.random.normal(
            (num_samples, self.latent_dim), dtype=dtype, seed=generator
        )
        noise = keras.random.normal(
            (num_samples, self.num_features), dtype=dtype, seed=generator
        )
        scale = ops.exp(0.5 * ops.cast(self.log_noise_variance, dtype))
        return self.inverse_transform(z) + scale * noise

    def serving_endpoints(self):
        """Named SavedModel signatures, for `kerastoolkit.export.export_saved_model`.

        - `serve(inputs)`: `{"log_likelihood"}` of each row, shape `(n,)`;
        - `encode(inputs)`: `{"latent"}`, the posterior mean `E[z|x]`,
          shape `(n, q)`;
        - `decode(latent)`: `{"decoded"}`, `W z + mu`, shape `(n, d)`;
        - `sample(latent_noise)`: `{"samples"}`, `W z + mu` for
          standard-normal `z` that the caller draws, so serving stays
          stateless and reproducible (add `sigma * N(0, I)` for a draw of `x`
          itself).

        Inputs of another rank or size, or with NaN or infinite values, fail
        with `InvalidArgumentError` naming the input.

        Returns:
            A dict from endpoint name to `(function, input_signature)`.
        """
        if not self.built:
            raise ValueError("The model must be built (fit) before export.")

        def spec(name, size):
            return [
                keras.InputSpec(shape=(None, size), dtype=self.compute_dtype, name=name)
            ]

        features = spec("inputs", self.num_features)
        return {
            "serve": (lambda inputs: {"log_likelihood": self(inputs)}, features),
            "encode": (lambda inputs: {"latent": self.transform(inputs)}, features),
            "decode": (
                lambda latent: {"decoded": self.inverse_transform(latent)},
                spec("latent", self.latent_dim),
            ),
            "sample": (
                lambda latent_noise: {"samples": self.inverse_transform(latent_noise)},
                spec("latent_noise", self.latent_dim),
            ),
        }

    def _prepare_numpy_fit(self, x):
        x = _as_float64_matrix(x)
        n, d = x.shape
        if self.latent_dim >= d:
            raise ValueError(
                f"`latent_dim` must be smaller than the number of features: got "
                f"latent_dim={self.latent_dim} for {d} features."
            )
        if not self.built:
            self.build((None, d))
        elif self.num_features != d:
            raise ValueError(
                f"`x` has {d} features but the model was built for {self.num_features}."
            )
        return x

    def _assign(self, kernel, mean, noise_variance):
        self.kernel.assign(kernel)
        self.mean.assign(mean)
        self.log_noise_variance.assign(math.log(noise_variance))

    def fit_closed_form(self, x):
        """Sets the weights to the maximum-likelihood solution for `x`.

        Args:
            x: array of shape `(n, d)` (any real dtype); `n < d` is fine.

        Returns:
            The average log-likelihood of `x` at the solution (float64).

        Raises:
            ValueError: if `latent_dim >= d`, or if the centred data have rank
                `<= latent_dim` (the noise variance would be 0).
        """
        x = self._prepare_numpy_fit(x)
        n, d = x.shape
        q = self.latent_dim
        mean = x.mean(axis=0)
        cov_times, trace, eigenvalues, eigenvectors = _covariance_operator(x, mean)
        noise_variance = float(np.sum(eigenvalues[q:])) / (d - q)
        rank = int(
            np.sum(eigenvalues > eigenvalues[0] * max(n, d) * np.finfo(float).eps)
        )
        if rank <= q or not noise_variance > 0.0:
            raise ValueError(
                f"The centred data have rank {rank} <= latent_dim={q}: the "
                "maximum-likelihood noise variance is 0 and the likelihood is "
                "unbounded. Use a smaller `latent_dim` (or more samples)."
            )
        # rank > q guarantees q eigenpairs even for wide data (k = n > q).
        scales = np.sqrt(np.maximum(eigenvalues[:q] - noise_variance, 0.0))
        kernel = _canonical(eigenvectors[:, :q] * scales)
        self._assign(kernel, mean, noise_variance)
        return _average_log_likelihood(kernel, noise_variance, cov_times(kernel), trace)

    def fit_em(self, x, max_iter=1000, tol=1e-7, seed=None):
        """Fits by expectation-maximisation (Tipping and Bishop, section 3.2).

        With `M = W^T W + s I` and the sample covariance `S`, one iteration is

            W' = S W (s I + M^-1 W^T S W)^-1
            s' = tr(S - S W M^-1 W'^T) / d

        (`mu` is the sample mean from the start). Each iteration never
        decreases the log-likelihood. The result is rotated to orthogonal
        columns (`_canonical`), which leaves the likelihood unchanged.

        Args:
            x: array of shape `(n, d)`.
            max_iter: maximum number of iterations.
            tol: stop when an iteration raises the average log-likelihood by
                less than `tol` nats.
            seed: seed of the random initial `W`.

        Returns:
            A dict: `log_likelihood`, the average log-likelihood before the
            first iteration and after each one (a list of floats), and
            `converged` (bool).
        """
        max_iter = positive_int("max_iter", max_iter)
        if not tol >= 0:
            raise ValueError(f"`tol` must be non-negative, got {tol!r}.")
        x = self._prepare_numpy_fit(x)
        _, d = x.shape
        q = self.latent_dim
        mean = x.mean(axis=0)
        cov_times, trace, _, _ = _covariance_operator(x, mean, eigenpairs=False)
        if not trace > 0.0:
            raise ValueError("`x` has zero variance: every sample is the same.")
        rng = np.random.default_rng(seed)
        kernel = rng.standard_normal((d, q)) * math.sqrt(trace / d)
        noise_variance = trace / d
        identity = np.eye(q)
        cov_kernel = cov_times(kernel)
        history = [_average_log_likelihood(kernel, noise_variance, cov_kernel, trace)]
        converged = False
        for _ in range(max_iter):
            m = kernel.T @ kernel + noise_variance * identity
            m_inv_wsw = np.linalg.solve(m, kernel.T @ cov_kernel)
            new_kernel = np.linalg.solve(
                (noise_variance * identity + m_inv_wsw).T, cov_kernel.T
            ).T
            # tr(S W M^-1 W'^T) without forming d x d products.
            explained = np.sum(np.linalg.solve(m, cov_kernel.T).T * new_kernel)
            noise_variance = (trace - explained) / d
            kernel = new_kernel
            cov_kernel = cov_times(kernel)
            history.append(
                _average_log_likelihood(kernel, noise_variance, cov_kernel, trace)
            )
            if history[-1] - history[-2] < tol:
                converged = True
                break
        self._assign(_canonical(kernel), mean, noise_variance)
        return {"log_likelihood": history, "converged": converged}

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
