"""Finds a data set's files on disk, and downloads them only when asked.

Every file-based loader in `kerastoolkit.datasets` resolves its folder the same
way, first match wins:

1. the `data_dir` argument;
2. the `KERASTOOLKIT_DATA_DIR` environment variable;
3. the folder an operating-system package installs (for example Debian's
   `dataset-fashion-mnist`), where the data set has one;
4. the per-user cache, `$XDG_CACHE_HOME/kerastoolkit/<folder>` (by default
   `~/.cache/kerastoolkit/<folder>`);
5. only when the caller passes `download=True`: the canonical public URL,
   downloaded into the per-user cache and checked against a stored SHA-256.

`data_dir` and `KERASTOOLKIT_DATA_DIR` name either a data root laid out like
the project's shared data folder (`<root>/<folder>/<file>`) or the data set's
folder itself. A folder counts only when it holds every file the loader
needs. All sources hold the same data, so falling through to the next one is
harmless; when none has the files, `DatasetNotFoundError` lists every place
searched and how to get the data. Nothing here touches the network unless
`download=True`.
"""

import dataclasses
import hashlib
import os
import pathlib
import shutil
import tempfile
import urllib.request

DATA_DIR_ENV = "KERASTOOLKIT_DATA_DIR"
"""Environment variable naming a data root (or a data set's folder)."""

DATA_EXTRA_HINT = 'pip install "kerastoolkit[data]"'
"""How to install the packages that ship the package-based data sets."""

SOURCES = ("local", "tfds")
"""Values of the `source` argument of the `as_dataset` functions."""

_DOWNLOAD_TIMEOUT_S = 60
_CHUNK_BYTES = 1 << 20


class DatasetNotFoundError(FileNotFoundError):
    """Raised when a data set is in none of the places a loader searches.

    The message names the data set, lists every place searched and says how to
    get the data.
    """


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """A file's canonical public URL and the SHA-256 of its bytes."""

    url: str
    sha256: str


@dataclasses.dataclass(frozen=True)
class DataFiles:
    """Where a file-based data set lives and how a user can get it.

    Attributes:
        name: Human-readable name used in messages, e.g. `"Fashion-MNIST"`.
        folder: The data set's folder under a data root and in the cache,
            e.g. `"fashion-mnist"`.
        files: Maps each file name (relative to `folder`) to its
            `RemoteFile`.
        system_dirs: `(path, description)` pairs for folders an
            operating-system package installs, searched after the
            environment variable.
        install_hints: Extra lines for the "how to get it" part of the
            not-found message, e.g. an `apt-get install` command.
    """

    name: str
    folder: str
    files: dict
    system_dirs: tuple = ()
    install_hints: tuple = ()


def cache_dir(folder):
    """Returns the per-user cache folder for a data set.

    Args:
        folder: The data set's folder name, e.g. `"fashion-mnist"`.

    Returns:
        `pathlib.Path` of `$XDG_CACHE_HOME/kerastoolkit/<folder>`, or
        `~/.cache/kerastoolkit/<folder>` when `XDG_CACHE_HOME` is unset. The
        folder is not created.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return pathlib.Path(base).expanduser() / "kerastoolkit" / folder


def sha256_of(path):
    """Returns the hex SHA-256 digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def find_data_dir(spec, filenames=None, data_dir=None, download=False):
    """Returns the first folder that holds all the files a loader needs.

    Args:
        spec: The data set's `DataFiles`.
        filenames: The file names needed, a subset of `spec.files`; `None`
            means all of them.
        data_dir: Optional data root, or the data set's folder itself.
        download: Whether to download missing files into the per-user cache
            when no local folder has them. The only path that uses the
            network.

    Returns:
        `pathlib.Path` of a folder holding every file in `filenames`.

    Raises:
        DatasetNotFoundError: if no folder holds the files and `download` is
            false.
        ValueError: if a downloaded file's SHA-256 differs from the stored
            one (the partial download is deleted).
        OSError: if a download fails.
    """
    if not isinstance(download, bool):
        raise TypeError(f"`download` must be True or False, got {download!r}")
    filenames = tuple(spec.files) if filenames is None else tuple(filenames)
    unknown = [name for name in filenames if name not in spec.files]
    if unknown:
        raise ValueError(f"{spec.name} has no files named {unknown}")

    searched = []
    for folder, source in _candidate_dirs(spec, data_dir):
        if folder is None:
            searched.append(source)
            continue
        missing = [name for name in filenames if not (folder / name).is_file()]
        if not missing:
            return folder
        if not folder.is_dir():
            searched.append(f"{folder} ({source}; no such folder)")
        elif len(missing) == len(filenames):
            searched.append(f"{folder} ({source}; none of the files)")
        else:
            searched.append(f"{folder} ({source}; missing {', '.join(missing)})")

    if download:
        return _download(spec, filenames)
    raise DatasetNotFoundError(_not_found_message(spec, filenames, searched))


def _candidate_dirs(spec, data_dir):
    """Lists `(folder, source)` in search order; `folder` is None if skipped."""
    candidates = []
    roots = (
        (data_dir, "`data_dir` argument", "`data_dir` argument (not given)"),
        (
            os.environ.get(DATA_DIR_ENV),
            f"${DATA_DIR_ENV}",
            f"${DATA_DIR_ENV} (not set)",
        ),
    )
    for root, source, skipped in roots:
        if not root:
            candidates.append((None, skipped))
            continue
        root = pathlib.Path(root).expanduser()
        # A data root laid out like the shared data folder, or the data set's
        # own folder.
        candidates.append((root / spec.folder, source))
        candidates.append((root, source))
    for path, description in spec.system_dirs:
        candidates.append((pathlib.Path(path), description))
    candidates.append((cache_dir(spec.folder), "per-user cache"))
    return candidates


def _not_found_message(spec, filenames, searched):
    first_url = spec.files[filenames[0]].url
    layout = ", ".join(f"<root>/{spec.folder}/{name}" for name in filenames)
    lines = [
        f"{spec.name} data set not found. Looked for {', '.join(filenames)} in:",
        *(f"  - {place}" for place in searched),
        "To get it, do one of:",
        *(f"  - {hint}" for hint in spec.install_hints),
        f"  - set {DATA_DIR_ENV} (or pass `data_dir`) to a folder laid out like "
        f"{layout}",
        f"  - pass download=True to download it from {first_url.rsplit('/', 1)[0]}/ "
        f"into {cache_dir(spec.folder)} (checked against a stored SHA-256)",
    ]
    return "\n".join(lines)


def _fetch(url, destination):
    """Downloads `url` to the file `destination` (the only network access)."""
    with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as response:
        with open(destination, "wb") as f:
            shutil.copyfileobj(response, f, _CHUNK_BYTES)


def _download(spec, filenames):
    target = cache_dir(spec.folder)
    target.mkdir(parents=True, exist_ok=True)
    for name in filenames:
        final_path = target / name
        if final_path.is_file():
            continue
        remote = spec.files[name]
        # Download next to the final path and rename only once the checksum
        # matches, so an interrupted or corrupt download never looks complete.
        fd, partial = tempfile.mkstemp(dir=target, prefix=f".{name}.", suffix=".part")
        os.close(fd)
        partial = pathlib.Path(partial)
        try:
            try:
                _fetch(remote.url, partial)
            except OSError as err:
                raise OSError(
                    f"Could not download {spec.name} file {name} from "
                    f"{remote.url}: {err}"
                ) from err
            received = sha256_of(partial)
            if received != remote.sha256:
                raise ValueError(
                    f"SHA-256 mismatch for {spec.name} file {name} downloaded "
                    f"from {remote.url}: expected {remote.sha256}, got "
                    f"{received}. The download was discarded; try again later "
                    "or get the file another way."
                )
            os.replace(partial, final_path)
        finally:
            partial.unlink(missing_ok=True)
    return target


def check_split(split, splits):
    """Raises a ValueError naming `split` unless it is one of `splits`."""
    if split not in splits:
        choices = ", ".join(repr(s) for s in splits)
        raise ValueError(f"`split` must be one of {choices}, got {split!r}")


def check_source(source):
    """Raises a ValueError unless `source` is `"local"` or `"tfds"`."""
    if source not in SOURCES:
        raise ValueError(f"`source` must be one of 'local', 'tfds', got {source!r}")


def load_tfds(
    name,
    split,
    data_dir=None,
    as_supervised=False,
    manual_files=None,
    download=False,
):
    """Loads a split through a tensorflow-datasets builder, preparing it offline.

    A builder that is already prepared in `data_dir` is read as it is. One
    that is not is prepared from local files when `manual_files` is given:
    tensorflow-datasets' download manager takes a file from its manual folder,
    checked against the SHA-256 the builder registered, before it would
    download it, so preparing needs no network.

    Args:
        name: The tensorflow-datasets name, e.g. `"fashion_mnist"`.
        split: The tensorflow-datasets split name.
        data_dir: The tensorflow-datasets data directory (its own layout);
            `None` for its default, `$TFDS_DATA_DIR` or
            `~/tensorflow_datasets`.
        as_supervised: Passed to `as_dataset`: `(input, target)` tuples
            instead of dicts.
        manual_files: Optional function `(scratch_dir) -> folder`, called
            only when the data set is not prepared yet. It returns a folder
            holding the files the builder downloads, under their upstream
            names and with their upstream bytes; it may write them into
            `scratch_dir`, an empty folder deleted after preparation.
        download: When the data set is not prepared and `manual_files` is
            `None`, whether tensorflow-datasets may download and prepare it.

    Returns:
        The unbatched `tf.data.Dataset` of the split.

    Raises:
        ImportError: if tensorflow-datasets is not installed.
        DatasetNotFoundError: if the data set is not prepared in `data_dir`,
            `manual_files` is `None` and `download` is false.
    """
    try:
        import tensorflow_datasets as tfds
    except ImportError as err:
        raise ImportError(
            "`source='tfds'` needs the tensorflow-datasets package, which is not "
            "installed: pip install tensorflow-datasets (it comes with the data "
            f"extra, {DATA_EXTRA_HINT}), or use source='local'."
        ) from err
    builder = tfds.builder(
        name, data_dir=None if data_dir is None else os.fspath(data_dir)
    )
    if not builder.is_prepared():
        if manual_files is not None:
            # TFDS writes the extracted copies of the files into the download
            # folder: a scratch folder keeps them out of the data directory.
            with tempfile.TemporaryDirectory(prefix="kerastoolkit-tfds-") as scratch:
                scratch = pathlib.Path(scratch)
                manual_dir = manual_files(scratch / "manual")
                builder.download_and_prepare(
                    download_dir=scratch / "downloads",
                    download_config=tfds.download.DownloadConfig(
                        manual_dir=os.fspath(manual_dir)
                    ),
                )
        elif download:
            builder.download_and_prepare()
        else:
            raise DatasetNotFoundError(
                f"tensorflow-datasets' {name} is not prepared in {builder.data_dir} "
                "and preparing it would download its files: pass download=True "
                "(needs the network) or prepare it there first."
            )
    return builder.as_dataset(split=split, as_supervised=as_supervised)
