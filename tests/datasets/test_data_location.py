"""Tests of the search order, the not-found message and the checked download."""

import hashlib
import sys
import urllib.error

import pytest

from kerastoolkit.datasets import DatasetNotFoundError, data_location

_CONTENT = {"a.txt": b"alpha\n", "b.txt": b"beta\n"}


def _spec(system_dir):
    return data_location.DataFiles(
        name="Toy",
        folder="toy",
        files={
            name: data_location.RemoteFile(
                f"https://example.org/toy/{name}", hashlib.sha256(data).hexdigest()
            )
            for name, data in _CONTENT.items()
        },
        system_dirs=((str(system_dir), "toy OS package"),),
        install_hints=("apt-get install toy-data",),
    )


def _write(folder, names=tuple(_CONTENT)):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(_CONTENT[name])
    return folder


@pytest.fixture
def spec(tmp_path, monkeypatch):
    monkeypatch.delenv(data_location.DATA_DIR_ENV, raising=False)
    return _spec(tmp_path / "system")


def test_data_dir_beats_env_var(spec, tmp_path, monkeypatch):
    arg_root = _write(tmp_path / "arg" / "toy").parent
    env_root = _write(tmp_path / "env" / "toy").parent
    monkeypatch.setenv(data_location.DATA_DIR_ENV, str(env_root))
    assert data_location.find_data_dir(spec, data_dir=arg_root) == arg_root / "toy"
    assert data_location.find_data_dir(spec) == env_root / "toy"


def test_env_var_beats_system_dir_which_beats_cache(spec, tmp_path, monkeypatch):
    system = _write(tmp_path / "system")
    cache = _write(data_location.cache_dir("toy"))
    assert cache == tmp_path / "xdg-cache" / "kerastoolkit" / "toy"
    assert data_location.find_data_dir(spec) == system
    env_root = _write(tmp_path / "env" / "toy").parent
    monkeypatch.setenv(data_location.DATA_DIR_ENV, str(env_root))
    assert data_location.find_data_dir(spec) == env_root / "toy"
    monkeypatch.delenv(data_location.DATA_DIR_ENV)
    for name in _CONTENT:
        (system / name).unlink()
    assert data_location.find_data_dir(spec) == cache


def test_data_dir_may_be_the_data_set_folder_itself(spec, tmp_path):
    folder = _write(tmp_path / "anywhere")
    assert data_location.find_data_dir(spec, data_dir=folder) == folder
    assert data_location.find_data_dir(spec, data_dir=str(folder)) == folder


def test_folder_missing_a_file_is_skipped(spec, tmp_path):
    partial = _write(tmp_path / "partial", names=("a.txt",))
    system = _write(tmp_path / "system")
    assert data_location.find_data_dir(spec, data_dir=partial) == system
    # Only the files asked for have to be there.
    assert (
        data_location.find_data_dir(spec, filenames=["a.txt"], data_dir=partial)
        == partial
    )


def test_cache_defaults_to_home_cache_without_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert (
        data_location.cache_dir("toy") == tmp_path / ".cache" / "kerastoolkit" / "toy"
    )


def test_not_found_message_lists_every_place_and_remedy(spec, tmp_path):
    partial = _write(tmp_path / "partial", names=("a.txt",))
    with pytest.raises(DatasetNotFoundError) as info:
        data_location.find_data_dir(spec, data_dir=partial)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert message.startswith("Toy data set not found. Looked for a.txt, b.txt in:")
    for place in (
        f"{partial / 'toy'} (`data_dir` argument; no such folder)",
        f"{partial} (`data_dir` argument; missing b.txt)",
        "$KERASTOOLKIT_DATA_DIR (not set)",
        f"{tmp_path / 'system'} (toy OS package; no such folder)",
        f"{data_location.cache_dir('toy')} (per-user cache; no such folder)",
        "apt-get install toy-data",
        "set KERASTOOLKIT_DATA_DIR (or pass `data_dir`) to a folder laid out like "
        "<root>/toy/a.txt, <root>/toy/b.txt",
        "pass download=True to download it from https://example.org/toy/",
    ):
        assert place in message


def test_no_download_without_download_true(spec, fake_fetch, tmp_path):
    fetched = fake_fetch(_write(tmp_path / "server"))
    with pytest.raises(DatasetNotFoundError):
        data_location.find_data_dir(spec)
    assert fetched == []


def test_download_fills_the_cache_once(spec, fake_fetch, tmp_path):
    fetched = fake_fetch(_write(tmp_path / "server"))
    folder = data_location.find_data_dir(spec, download=True)
    assert folder == data_location.cache_dir("toy")
    assert (folder / "b.txt").read_bytes() == b"beta\n"
    assert fetched == ["https://example.org/toy/a.txt", "https://example.org/toy/b.txt"]
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt", "b.txt"]
    # Found in the cache now: no second download.
    assert data_location.find_data_dir(spec, download=True) == folder
    assert len(fetched) == 2


def test_download_sha256_mismatch_is_discarded(spec, fake_fetch, tmp_path):
    server = _write(tmp_path / "server")
    (server / "b.txt").write_bytes(b"tampered\n")
    fake_fetch(server)
    with pytest.raises(ValueError, match="SHA-256 mismatch for Toy file b.txt") as info:
        data_location.find_data_dir(spec, download=True)
    assert hashlib.sha256(b"tampered\n").hexdigest() in str(info.value)
    assert spec.files["b.txt"].sha256 in str(info.value)
    cache = data_location.cache_dir("toy")
    assert sorted(p.name for p in cache.iterdir()) == ["a.txt"]


def test_failed_download_names_the_file(spec, monkeypatch):
    def unreachable(url, destination):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(data_location, "_fetch", unreachable)
    with pytest.raises(OSError, match="Could not download Toy file a.txt from"):
        data_location.find_data_dir(spec, download=True)
    assert list(data_location.cache_dir("toy").iterdir()) == []


def test_download_must_be_a_bool(spec):
    with pytest.raises(TypeError, match="`download` must be True or False, got 'yes'"):
        data_location.find_data_dir(spec, download="yes")


def test_check_source():
    data_location.check_source("local")
    data_location.check_source("tfds")
    with pytest.raises(
        ValueError, match="`source` must be one of 'local', 'tfds', got 'hub'"
    ):
        data_location.check_source("hub")


def test_load_tfds_without_tensorflow_datasets(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    with pytest.raises(ImportError, match="pip install tensorflow-datasets"):
        data_location.load_tfds("fashion_mnist", split="train")


def test_load_tfds_prepares_from_manual_files_once(tmp_path, data_root):
    scratch_dirs = []

    def manual_files(scratch_dir):
        scratch_dirs.append(scratch_dir)
        return data_root / "tinyshakespeare"

    dataset = data_location.load_tfds(
        "tiny_shakespeare",
        split="validation",
        data_dir=tmp_path / "tfds",
        manual_files=manual_files,
    )
    assert [len(example["text"]) for example in dataset.as_numpy_iterator()] == [55770]
    # The scratch folder (with TFDS's download bookkeeping) is gone.
    assert len(scratch_dirs) == 1 and not scratch_dirs[0].parent.exists()

    def fail(scratch_dir):
        raise AssertionError("a prepared data set needs no files")

    dataset = data_location.load_tfds(
        "tiny_shakespeare", split="test", data_dir=tmp_path / "tfds", manual_files=fail
    )
    assert int(dataset.cardinality()) == 1


def test_load_tfds_without_files_or_download(tmp_path):
    with pytest.raises(
        DatasetNotFoundError,
        match="tiny_shakespeare is not prepared in .* pass download=True",
    ):
        data_location.load_tfds("tiny_shakespeare", split="test", data_dir=tmp_path)
