"""How far apart two subspaces are: the largest principal angle between them."""

import math

import numpy as np


def largest_principal_angle(a, b):
    """The largest principal angle, in degrees, between the column spans of a, b.

    With orthonormal bases `Q_a`, `Q_b` of the two spans (from QR), the cosines
    of the principal angles are the singular values of `Q_a^T Q_b`; the largest
    angle is `acos` of the smallest one. 0 degrees means one span contains the
    other, 90 that some direction of one is orthogonal to the whole of the
    other. It compares, e.g., a linear autoencoder's weights with the principal
    subspace PCA finds, whatever basis each uses. The same measure as
    `numpy.degrees(scipy.linalg.subspace_angles(a, b).max())`.

    Args:
        a: a `(d, p)` matrix.
        b: a `(d, q)` matrix, same number of rows.

    Returns:
        The angle in degrees, a float in [0, 90].

    Example:
        >>> largest_principal_angle(np.eye(3)[:, :1], np.ones((3, 1)))  # doctest: +SKIP
        54.73...

    References:
        Björck and Golub, "Numerical methods for computing angles between
        linear subspaces", Mathematics of Computation 27(123), 1973.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
        raise ValueError(
            "`a` and `b` must be matrices with the same number of rows, got shapes "
            f"{a.shape} and {b.shape}."
        )
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return math.degrees(math.acos(float(np.clip(cosines.min(), -1.0, 1.0))))
