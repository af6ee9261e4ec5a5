"""Shared fixtures for the data loader tests: data root, isolation, fake fetch."""

import dataclasses
import os
import pathlib
import shutil

import pytest

from kerastoolkit.datasets import data_location, fashion_mnist

_REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def data_root():
    """The shared data folder: $KERASTOOLKIT_DATA_DIR, else `<repo>/../shared/data`."""
    root = pathlib.Path(
        os.environ.get(data_location.DATA_DIR_ENV)
        or _REPO_ROOT.parent / "shared" / "data"
    )
    if not root.is_dir():
        pytest.fail(f"shared data folder {root} not found; set KERASTOOLKIT_DATA_DIR")
    return root


@pytest.fixture(autouse=True)
def no_network_and_private_cache(monkeypatch, tmp_path):
    """Fails any real download and points the per-user cache at tmp_path."""

    def refuse(url, destination):
        raise AssertionError(f"test tried to download {url}")

    monkeypatch.setattr(data_location, "_fetch", refuse)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def isolated_locations(monkeypatch, tmp_path):
    """Empties every default place: no env var, no Debian folder, empty cache.

    Returns:
        The per-user cache root (`$XDG_CACHE_HOME/kerastoolkit`).
    """
    monkeypatch.delenv(data_location.DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(
        fashion_mnist,
        "DATA_FILES",
        _with_system_dirs(fashion_mnist.DATA_FILES, tmp_path / "no-debian"),
    )
    return tmp_path / "xdg-cache" / "kerastoolkit"


def _with_system_dirs(spec, path):
    return dataclasses.replace(spec, system_dirs=((str(path), "Debian package"),))


@pytest.fixture
def fake_fetch(monkeypatch):
    """Replaces the network fetch with copies from a local folder.

    Returns:
        `install(source_dir)`, which serves each URL from
        `source_dir/<last part of the URL>` and returns the list that records
        the URLs fetched.
    """

    def install(source_dir):
        fetched = []

        def fetch(url, destination):
            fetched.append(url)
            shutil.copyfile(
                pathlib.Path(source_dir) / url.rsplit("/", 1)[-1], destination
            )

        monkeypatch.setattr(data_location, "_fetch", fetch)
        return fetched

    return install
