"""Every application's exports serve their raw example requests (images,
strings, observations, noise) in one process that imports only TensorFlow,
with the answers the in-process model gave (stored at export time)."""

from pathlib import Path

import pytest

from applications import runner
from kerastoolkit.testing import check_serving_examples


def _versions(export_dir):
    return sorted(
        p.parent
        for p in Path(export_dir).glob("**/saved_model.pb")
        if p.parent.name.isdigit()
    )


@pytest.mark.parametrize("name", sorted(runner.discover()))
def test_every_export_of_the_application_serves_its_examples(quick_runs, name):
    root, _ = quick_runs(name)
    versions = _versions(root / "saved")
    assert versions, f"{name} exported no SavedModel"
    checked = {str(v.relative_to(root)): check_serving_examples(v) for v in versions}
    assert all(count > 0 for count in checked.values()), (
        f"{name}: exports without serving examples: {checked}"
    )
