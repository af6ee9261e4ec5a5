"""largest_principal_angle against SciPy's subspace angles and known cases."""

import numpy as np
import pytest
from scipy.linalg import subspace_angles

from kerastoolkit.models.principal_angles import largest_principal_angle


def test_known_angles():
    basis = np.eye(4)[:, :2]
    rotation = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    # Another basis of the same span: 0 degrees.
    assert largest_principal_angle(basis, basis @ rotation * 5.0) == pytest.approx(
        0.0, abs=1e-6
    )
    tilted = basis.copy()
    tilted[2, 1] = 1.0  # the second direction tilted by 45 degrees
    assert largest_principal_angle(basis, tilted) == pytest.approx(45.0)
    assert largest_principal_angle(basis, np.eye(4)[:, 2:]) == pytest.approx(90.0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes", [((30, 5), (30, 5)), ((30, 3), (30, 6))])
def test_matches_scipy_subspace_angles(dtype, shapes):
    rng = np.random.default_rng(1)
    a = rng.normal(size=shapes[0])
    # b near a's span (small angles) and a random b (large ones).
    for b in (
        np.concatenate([a, a], axis=1)[:, : shapes[1][1]]
        + 0.05 * rng.normal(size=shapes[1]),
        rng.normal(size=shapes[1]),
    ):
        expected = np.degrees(subspace_angles(a, b).max())
        angle = largest_principal_angle(a.astype(dtype), b.astype(dtype))
        tolerance = 1e-6 if dtype == "float64" else 1e-3
        assert angle == pytest.approx(expected, abs=tolerance)


def test_shapes_that_do_not_match_are_named():
    with pytest.raises(ValueError, match="`a` and `b` must be matrices"):
        largest_principal_angle(np.ones((4, 2)), np.ones((5, 2)))
