"""MNIST and Fashion-MNIST for the course, offline whenever the files are here.

``tfc.load_mnist()`` and ``tfc.load_fashion_mnist()`` return exactly what
Keras's ``load_data()`` returns, ``(x_train, y_train), (x_test, y_test)``:
uint8 images of shape (N, 28, 28) and uint8 labels of shape (N,). With
``normalize=True`` the images are float32 in [0, 1], made without a float64
copy (60,000 images in float64 take 376 MB, too much for Binder).

Where the data comes from, first match wins (``tfc.data_source()`` tells which
without loading anything):

1. **folder**: the ``data_dir`` argument, else the folder named by the
   environment variable ``TFCOURSE_DATA_DIR``. It holds Keras's ``mnist.npz``
   or the four original IDX files (``train-images-idx3-ubyte.gz``,
   ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
   ``t10k-labels-idx1-ubyte.gz``, gzipped or not). Fashion-MNIST is looked for
   in its ``fashion-mnist/`` subfolder first, then in the folder itself. A
   folder that is named but holds nothing usable is an error, never skipped
   silently: you asked for it.
2. **debian** (Fashion-MNIST only): ``/usr/share/datasets/fashion-mnist``, from
   the Debian package ``dataset-fashion-mnist``.
3. **keras-cache** / **download**: Keras's cache
   (``$KERAS_HOME`` or ``~/.keras``, then ``datasets/``), read here directly
   when the files are there, else ``keras.datasets.<name>.load_data()``
   downloads them once. Besides Keras's own ``mnist.npz`` and
   ``fashion-mnist/*.gz``, MNIST's IDX files in ``datasets/mnist/`` count: that
   is where ``python -m tfcourse fetch-data --from DIR`` puts IDX files it
   imported (an ``mnist.npz`` built from them would fail Keras's hash check).

The test-set split: a folder that holds only the 10,000 test images (the
``t10k`` files, as in the course's shared ``mnist-t10k`` folder used by CI)
is served as a deterministic split of them: the **first 8,000 images are the
training set, the last 2,000 the test set** (the first 80% and the last 20%,
for a smaller test file you made), and a :class:`TestSetSplitWarning` says so.
Accuracies measured this way are not comparable with published MNIST results.

Verification: every IDX file is checked (magic number 2051 for images, 2049 for
labels; 28x28 images; header count against the bytes that follow; as many
labels as images; labels 0-9). A file under an official name that holds the
official number of items must also match the official SHA-256, so a damaged
copy cannot pass. IDX digests are of the decompressed bytes: copies of the same
data differ in their gzip wrapper (Debian re-compressed Zalando's files, and the
shared MNIST copy was re-gzipped), so hashing the ``.gz`` would reject genuine
files. Smaller files under the official names (subsets you made) get the
structural checks only. Each file is hashed once per process (per path,
modification time and size).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import os
import sys
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from tfcourse._validation import describe, expected

__all__ = [  # noqa: RUF022 (classes, constants, then functions)
    "CorruptDataError",
    "DataSource",
    "DataUnavailableError",
    "TestSetSplitWarning",
    "FASHION_MNIST_CLASSES",
    "MNIST_CLASSES",
    "data_source",
    "verify_data",
    "load_fashion_mnist",
    "load_mnist",
]

MNIST_CLASSES: tuple[str, ...] = tuple("0123456789")
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

DATA_DIR_ENV = "TFCOURSE_DATA_DIR"
# How `tfcourse fetch-data --from DIR` names its folder in messages.
IMPORT_FROM_PREFIX = "--from "
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_SUBFOLDER = "fashion-mnist"

# How the test images are shared out when they are all there is: the first
# 4/5 train (8,000 of the official 10,000), the last 1/5 test (2,000).
TEST_SPLIT_TRAIN_SHARE = (4, 5)

KERAS_MNIST_NPZ = "mnist.npz"
# IDX files of MNIST imported into Keras's cache (see tfcourse.cli fetch-data);
# Keras never reads this folder, only this module does.
KERAS_MNIST_IDX_SUBFOLDER = "mnist"
KERAS_MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

# role -> official file name without ".gz"; the order is the order of the message
IDX_NAMES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_OFFICIAL_COUNTS = {"train": 60_000, "test": 10_000}

# SHA-256 of the decompressed IDX bytes (header + data) of the official files.
# MNIST t10k: from /work/shared/data/mnist-t10k, whose .gz files match its
# SHA256SUMS (167310...d80b images, fc6073...da3c labels). Fashion-MNIST: from
# Debian's dataset-fashion-mnist (0.0~git20200523), whose .gz bytes differ from
# Zalando's published ones only in the gzip wrapper. The MNIST training files
# could not be checked here, so they have no entry (structural checks only).
_OFFICIAL_IDX_SHA256: dict[str, dict[str, str]] = {
    "mnist": {
        "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion_mnist": {
        "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

# SHA-256 of the official MNIST .gz files as published (TensorFlow Datasets'
# checksums for the files Yann LeCun's page and its mirrors serve). The
# training files' decompressed digests are not published anywhere we could
# check, so a training file with the official count must be the original .gz,
# byte for byte; the test files are also accepted re-compressed (above).
_OFFICIAL_GZ_SHA256: dict[str, dict[str, str]] = {
    "mnist": {
        "train_images": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train_labels": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "test_images": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "test_labels": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
}

_IMAGES_MAGIC = 2051  # 0x0803: unsigned bytes, 3 dimensions
_LABELS_MAGIC = 2049  # 0x0801: unsigned bytes, 1 dimension
_SIDE = 28
_NUM_CLASSES = 10


class DataUnavailableError(FileNotFoundError):
    """The data set is not on this machine and could not be fetched.

    A FileNotFoundError (so an OSError too): the files are missing, and code
    that already catches a missing file keeps working. The message says where
    it looked and how to get the data.
    """


class CorruptDataError(ValueError, OSError):
    """A data file is there but damaged, truncated or not the official one.

    A ValueError (the content is wrong) and an OSError (the raw errors it
    replaces, such as ``gzip.BadGzipFile``, are OSErrors), like
    ``io.UnsupportedOperation``, so ``except ValueError`` and
    ``except OSError`` both still catch it. The message names the file and
    how to replace it.
    """


class TestSetSplitWarning(UserWarning):
    """Only the 10,000 test images were found; they were split 8,000 / 2,000."""

    __test__ = False  # pytest: a warning class, not a test class


@dataclass(frozen=True)
class DataSource:
    """Where a data set would be loaded from (see :func:`data_source`).

    ``kind`` is one of "folder", "debian", "keras-cache", "download";
    ``path`` the folder or file read (for "download", where Keras will keep
    it); ``test_split`` is True when only the 10,000 test images are there
    and they are split 8,000 / 2,000.
    """

    name: str
    kind: str
    path: Path
    detail: str
    test_split: bool = False


@dataclass(frozen=True)
class _Spec:
    name: str
    title: str
    keras_module: str
    download_size: str
    subfolders: tuple[str, ...]  # relative to a data folder, in search order
    npz_name: str | None


_SPECS = {
    "mnist": _Spec("mnist", "MNIST", "keras.datasets.mnist", "about 11 MB", ("",), KERAS_MNIST_NPZ),
    "fashion_mnist": _Spec(
        "fashion_mnist",
        "Fashion-MNIST",
        "keras.datasets.fashion_mnist",
        "about 30 MB",
        (FASHION_SUBFOLDER, ""),
        None,
    ),
}


@dataclass(frozen=True)
class _Plan:
    source: DataSource
    fix: str  # what to do when a file turns out damaged
    npz: Path | None = None
    idx: dict[str, Path] = field(default_factory=dict)


# (path, mtime_ns, size) -> SHA-256 hex digest, so each file is hashed once
_digest_cache: dict[tuple[str, int, int], str] = {}


# --- public API ----------------------------------------------------------------


def load_mnist(
    *, normalize: bool = False, data_dir: str | os.PathLike[str] | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST digits as ``(x_train, y_train), (x_test, y_test)``, like Keras.

    Images are uint8 (N, 28, 28), labels uint8 (N,); with ``normalize=True``
    images are float32 in [0, 1]. The files come from ``data_dir``, else
    ``$TFCOURSE_DATA_DIR``, else Keras's cache or download (see the module
    docstring). A folder with only the 10,000 test images gives the first 8,000
    as training set and the last 2,000 as test set, with a
    :class:`TestSetSplitWarning`.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = tfc.load_mnist(normalize=True)
        >>> x_train.shape, x_train.dtype, tfc.MNIST_CLASSES[y_train[0]]  # the full set
        ((60000, 28, 28), dtype('float32'), '5')
    """
    (train, test), plan = _load("mnist", normalize=normalize, data_dir=data_dir)
    if plan.source.test_split:
        warnings.warn(_split_warning_text(plan, train, test), TestSetSplitWarning, stacklevel=2)
    return train, test


def load_fashion_mnist(
    *, normalize: bool = False, data_dir: str | os.PathLike[str] | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``, like Keras.

    Same shapes, types, options and test-set split as :func:`load_mnist`.
    Looked for in ``data_dir`` (its ``fashion-mnist/`` subfolder first), else
    ``$TFCOURSE_DATA_DIR``, else Debian's ``/usr/share/datasets/fashion-mnist``,
    else Keras's cache or download. Class names: ``tfc.FASHION_MNIST_CLASSES``.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = tfc.load_fashion_mnist()
        >>> x_train.shape, tfc.FASHION_MNIST_CLASSES[y_train[0]]
        ((60000, 28, 28), 'Ankle boot')
    """
    (train, test), plan = _load("fashion_mnist", normalize=normalize, data_dir=data_dir)
    if plan.source.test_split:
        warnings.warn(_split_warning_text(plan, train, test), TestSetSplitWarning, stacklevel=2)
    return train, test


def data_source(
    name: str = "mnist", *, data_dir: str | os.PathLike[str] | None = None
) -> DataSource:
    """Say where ``load_<name>()`` would take its data from, without loading it.

    ``name`` is "mnist" or "fashion_mnist". Raises :class:`DataUnavailableError`
    when a folder was named (``data_dir`` or ``$TFCOURSE_DATA_DIR``) but holds
    no usable files, with the message a load would give.

    Example:
        >>> src = tfc.data_source("mnist")  # TFCOURSE_DATA_DIR=.../mnist-t10k
        >>> src.kind, src.test_split
        ('folder', True)
    """
    spec = _spec(name)
    folder = _check_data_dir(data_dir)
    plan = _plan(spec, folder)
    _check_readable(plan)  # a file it cannot read is not a usable source
    return plan.source


def verify_data(name: str = "mnist", *, data_dir: str | os.PathLike[str] | None = None) -> DataSource:
    """Read every file :func:`data_source` names and check it; never download.

    Returns the source when all is well. Raises :class:`CorruptDataError` for a
    damaged, truncated or changed file, ``PermissionError`` (with the file and
    the fix) for one that cannot be read, and :class:`DataUnavailableError`
    for a named folder that cannot serve it. A source still to be downloaded is
    returned as it is: there is nothing to read yet.

    Example:
        >>> tfc.verify_data("mnist").kind
        'keras-cache'
    """
    spec = _spec(name)
    plan = _plan(spec, _check_data_dir(data_dir))
    if plan.source.kind == "download":
        return plan.source
    _check_readable(plan)
    if plan.npz is not None:
        if plan.source.kind == "keras-cache" and _file_digest(plan.npz) != KERAS_MNIST_NPZ_SHA256:
            raise CorruptDataError(
                f"{plan.npz} is not Keras's official {KERAS_MNIST_NPZ} (SHA-256 "
                f"{_file_digest(plan.npz)}, official {KERAS_MNIST_NPZ_SHA256}). {plan.fix}")
        _read_npz(plan.npz, plan.fix)
    else:
        _read_idx_pairs(spec, plan)
    return plan.source


# --- argument checks -----------------------------------------------------------


def _spec(name: object) -> _Spec:
    if not isinstance(name, str):
        raise TypeError(expected('a data set name, "mnist" or "fashion_mnist"', "name", name))
    if name not in _SPECS:
        raise ValueError(expected('one of "mnist", "fashion_mnist"', "name", name))
    return _SPECS[name]


def _check_normalize(normalize: object) -> bool:
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(
            expected(
                "True or False",
                "normalize",
                normalize,
                hint="normalize=True gives float32 images in [0, 1].",
            )
        )
    return bool(normalize)


def _check_data_dir(data_dir: object) -> tuple[Path, str] | None:
    """The folder to search and how the user named it, or None to search elsewhere."""
    if data_dir is None:
        from_env = os.environ.get(DATA_DIR_ENV, "")
        # an empty variable is the usual way to switch it off
        if not from_env:
            return None
        return Path(from_env).expanduser(), f"{DATA_DIR_ENV}={from_env}"
    if isinstance(data_dir, (bytes, bytearray)) or not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(
            expected("a folder path (str or pathlib.Path) or None", "data_dir", data_dir)
        )
    text = os.fspath(data_dir)
    if not isinstance(text, str):
        raise TypeError(
            expected("a folder path (str or pathlib.Path) or None", "data_dir", data_dir)
        )
    if not text:
        raise ValueError(
            expected(
                "a folder path or None",
                "data_dir",
                data_dir,
                hint="Use data_dir='.' for this folder.",
            )
        )
    return Path(text).expanduser(), f"data_dir={text!r}"


# --- where the data is -----------------------------------------------------------


def _looked_for(spec: _Spec) -> str:
    idx = ", ".join(f"{name}.gz" for name in IDX_NAMES.values())
    text = f"the four IDX files {idx} (gzipped or not)"
    if spec.npz_name:
        text = f"Keras's {spec.npz_name} or {text}"
    return text


def _find_idx(folder: Path) -> dict[str, Path]:
    found = {}
    for role, name in IDX_NAMES.items():
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                found[role] = candidate
                break
    return found


def _plan(spec: _Spec, folder: tuple[Path, str] | None) -> _Plan:
    if folder is not None:
        plan = _plan_folder(spec, *folder)
        if plan is not None:
            return plan
    if spec.name == "fashion_mnist":
        debian = _find_idx(DEBIAN_FASHION_MNIST_DIR)
        if len(debian) == len(IDX_NAMES):
            source = DataSource(
                spec.name,
                "debian",
                DEBIAN_FASHION_MNIST_DIR,
                f"Debian package dataset-fashion-mnist in {DEBIAN_FASHION_MNIST_DIR}",
            )
            fix = "Reinstall it: sudo apt-get install --reinstall dataset-fashion-mnist."
            return _Plan(source, fix, idx=debian)
    return _plan_keras(spec)


def _plan_folder(spec: _Spec, root: Path, named_by: str) -> _Plan | None:
    """The plan for a named folder; None when the environment's folder holds
    only the other data set, so the next source is tried.

    $TFCOURSE_DATA_DIR is set once for a whole session (CI points it at the
    MNIST test set), so a Fashion-MNIST lesson must still reach Debian's copy
    or Keras; a folder passed as data_dir is never skipped.
    """
    fix_corrupt = "Delete it and copy the official file there again."
    if not root.exists():
        raise DataUnavailableError(
            f"{named_by} names the folder {root}, which does not exist. "
            f"It should hold {spec.title}: {_looked_for(spec)}. "
            f"Fix: check the path, or create it and {_folder_fix(spec, named_by)}."
        )
    if not root.is_dir():
        raise DataUnavailableError(
            f"{named_by} names {root}, which is a file, not a folder. "
            f"Name the folder that holds {_looked_for(spec)}."
        )
    if not os.access(root, os.R_OK | os.X_OK):
        raise _unreadable(root, named_by)
    notes = []
    for sub in spec.subfolders:
        folder = root / sub if sub else root
        if not folder.is_dir():
            continue
        if spec.npz_name and (folder / spec.npz_name).is_file():
            npz = folder / spec.npz_name
            source = DataSource(spec.name, "folder", npz, f"{named_by}: Keras's {spec.npz_name}")
            return _Plan(source, fix_corrupt, npz=npz)
        found = _find_idx(folder)
        if not found:
            continue
        holds = _identify(found)
        if holds is not None and holds != spec.name:
            notes.append(f"{folder} holds {_SPECS[holds].title} files, not {spec.title}.")
            continue
        test_only = set(found) == {"test_images", "test_labels"}
        if len(found) < len(IDX_NAMES) and not test_only:
            missing = [f"{IDX_NAMES[role]}.gz" for role in IDX_NAMES if role not in found]
            raise DataUnavailableError(
                f"{folder} ({named_by}) holds only part of {spec.title}: "
                f"{', '.join(sorted(path.name for path in found.values()))}; missing "
                f"{', '.join(missing)}. Copy the missing files there (the two t10k "
                "files alone are enough for a reduced course), or remove the others."
            )
        detail = f"{named_by}: IDX files"
        if test_only:
            train_size = _split_point(_OFFICIAL_COUNTS["test"])
            detail += (
                f", test set only (first {train_size:,} of the 10,000 images as training set,"
                f" last {_OFFICIAL_COUNTS['test'] - train_size:,} as test set)"
            )
        source = DataSource(spec.name, "folder", folder, detail, test_split=test_only)
        return _Plan(source, fix_corrupt, idx=found)
    if notes and named_by.startswith(DATA_DIR_ENV):
        return None
    where = " or ".join(str(root / sub) if sub else str(root) for sub in spec.subfolders)
    raise DataUnavailableError(
        " ".join(
            [
                f"No {spec.title} files in {where} ({named_by}).",
                *notes,
                f"Looked for {_looked_for(spec)}.",
                f"Fix: {_folder_fix(spec, named_by)}.",
            ]
        )
    )


def _unreadable(path: Path, named_by: str = "") -> PermissionError:
    """A clear error for a file or folder this user may not read."""
    what = "folder" if path.is_dir() else "file"
    by = f" ({named_by})" if named_by else ""
    return PermissionError(
        13, f"The {what} {path}{by} exists but this user cannot read it. Fix: make it "
        f"readable (chmod a+r{'x' if what == 'folder' else ''} {path}), or copy the data to a "
        f"folder of yours and point {DATA_DIR_ENV} there.", str(path))


def _check_readable(plan: _Plan) -> None:
    for path in [plan.npz, *plan.idx.values()]:
        if path is not None and not os.access(path, os.R_OK):
            raise _unreadable(path)


def _folder_fix(spec: _Spec, named_by: str) -> str:
    target = (
        f"{FASHION_SUBFOLDER}/ in that folder" if spec.name == "fashion_mnist" else "that folder"
    )
    if named_by.startswith(IMPORT_FROM_PREFIX):
        return f"copy the files into {target}, or name the folder that holds them"
    if named_by.startswith(DATA_DIR_ENV):
        undo = f"unset {DATA_DIR_ENV} to let Keras download the data"
    else:
        undo = "pass data_dir=None to use the usual sources"
    return f"copy the files into {target}, or {undo}"


def _identify(found: dict[str, Path]) -> str | None:
    """Which data set a folder's labels file is, when it is an official one."""
    for role in ("test_labels", "train_labels"):
        if role not in found:
            continue
        try:
            digest = _idx_digest(found[role], role)
        except (CorruptDataError, PermissionError):
            return None  # the load itself reports it, with the file's name
        for name, digests in _OFFICIAL_IDX_SHA256.items():
            if digests.get(role) == digest:
                return name
    return None


def _keras_datasets_dir() -> Path:
    """Keras's dataset cache, found the way ``keras.utils.get_file`` finds it."""
    config = sys.modules.get("keras.src.backend.config")
    if config is not None:
        # Keras read KERAS_HOME when it was imported; later changes don't count
        home = Path(os.path.expanduser(config.keras_home()))
    elif "KERAS_HOME" in os.environ:
        home = Path(os.path.expanduser(os.environ["KERAS_HOME"]))
    else:
        base = os.path.expanduser("~")
        home = Path("/tmp" if not os.access(base, os.W_OK) else base) / ".keras"
    if home.exists() and not os.access(home, os.W_OK):
        home = Path("/tmp/.keras")
    return home / "datasets"


def _plan_keras(spec: _Spec) -> _Plan:
    datasets = _keras_datasets_dir()
    fix = "Delete it; Keras downloads a fresh copy next time."
    if spec.npz_name:
        cached = datasets / spec.npz_name
        if cached.is_file():
            source = DataSource(spec.name, "keras-cache", cached, f"Keras's cache: {cached}")
            return _Plan(source, fix, npz=cached)
        imported = _plan_imported_idx(spec, datasets / KERAS_MNIST_IDX_SUBFOLDER)
        if imported is not None:
            return imported
        where = cached
    else:
        where = datasets / FASHION_SUBFOLDER
        found = _find_idx(where)
        if len(found) == len(IDX_NAMES):
            source = DataSource(spec.name, "keras-cache", where, f"Keras's cache: {where}")
            return _Plan(source, fix, idx=found)
    detail = (
        f"not on this machine yet: {spec.keras_module}.load_data() downloads it "
        f"({spec.download_size}) to {where}"
    )
    return _Plan(DataSource(spec.name, "download", where, detail), fix)


def _plan_imported_idx(spec: _Spec, folder: Path) -> _Plan | None:
    """IDX files that ``tfcourse fetch-data --from`` put in Keras's cache, if any."""
    found = _find_idx(folder)
    test_only = set(found) == {"test_images", "test_labels"}
    if len(found) < len(IDX_NAMES) and not test_only:
        return None  # an incomplete import: the next source is tried
    detail = f"Keras's cache: IDX files in {folder}"
    if test_only:
        detail += ", test set only (its first 80% serve as training set, the rest as test set)"
    fix = (
        "Delete it and import the files again: python -m tfcourse fetch-data "
        f"--dataset {spec.name} --from FOLDER."
    )
    source = DataSource(spec.name, "keras-cache", folder, detail, test_split=test_only)
    return _Plan(source, fix, idx=found)


# --- loading -----------------------------------------------------------------------


def _load(name: str, *, normalize: object, data_dir: object):
    spec = _SPECS[name]
    normalize = _check_normalize(normalize)
    plan = _plan(spec, _check_data_dir(data_dir))
    if plan.source.kind == "download" or (
        plan.source.kind == "keras-cache"
        and plan.npz is not None
        and _file_digest(plan.npz) != KERAS_MNIST_NPZ_SHA256
    ):
        # A damaged cached mnist.npz is Keras's to replace: it downloads it again.
        pairs = list(_load_with_keras(spec, plan))
    elif plan.npz is not None:
        pairs = list(_read_npz(plan.npz, plan.fix))
    else:
        pairs = _read_idx_pairs(spec, plan)
    if normalize:
        pairs = [(_to_unit_float(images), labels) for images, labels in pairs]
    if plan.source.test_split:
        ((images, labels),) = pairs
        cut = _split_point(len(images))
        pairs = [(images[:cut], labels[:cut]), (images[cut:], labels[cut:])]
    return (pairs[0], pairs[1]), plan


def _to_unit_float(images: np.ndarray) -> np.ndarray:
    converted = images.astype(np.float32)
    converted /= np.float32(255)  # in place: no float64, no second copy
    return converted


def _download_with_keras(spec: _Spec):
    """Keras's own loader (cache, else download); patched out in the tests."""
    loader = importlib.import_module(spec.keras_module)
    return loader.load_data()


def _load_with_keras(spec: _Spec, plan: _Plan):
    try:
        return _download_with_keras(spec)
    except Exception as err:  # Keras raises a bare Exception for a failed fetch
        raise DataUnavailableError(_offline_text(spec, plan, err)) from err


def _offline_text(spec: _Spec, plan: _Plan, err: Exception) -> str:
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    files = f"{spec.npz_name} or the four files " if spec.npz_name else "the four files "
    files += ", ".join(f"{name}.gz" for name in IDX_NAMES.values())
    ways = [
        f"connect to the internet once: Keras keeps a copy in {plan.source.path} "
        "and works offline from then on;",
        f"or set {DATA_DIR_ENV} to a folder holding {files}"
        + (
            f" (or put them in its {FASHION_SUBFOLDER}/ subfolder);"
            if spec.name == "fashion_mnist"
            else ";"
        ),
    ]
    if spec.name == "fashion_mnist":
        ways.append("or install Debian's copy: sudo apt-get install dataset-fashion-mnist;")
    ways.append("on a classroom machine, see the course README.")
    stale = ""
    if plan.source.kind == "keras-cache":
        stale = f" The copy in Keras's cache, {plan.source.path}, was not the official file."
    return (
        f"{spec.title} is not on this machine and Keras could not download it "
        f"({reason}).{stale} To get it:\n" + "\n".join(f"  - {way}" for way in ways)
    )


def _split_point(count: int) -> int:
    train_share, whole = TEST_SPLIT_TRAIN_SHARE
    return count * train_share // whole


def _split_warning_text(plan: _Plan, train: tuple, test: tuple) -> str:
    train_size, test_size = len(train[0]), len(test[0])
    return (
        f"Only the {train_size + test_size:,} {_SPECS[plan.source.name].title} test images are "
        f"in {plan.source.path}: serving the first {train_size:,} as training set and the "
        f"last {test_size:,} as test set. Scores are not comparable with the full data set; "
        f"put the train-*.gz files there for the full 60,000."
    )


def _read_idx_pairs(spec: _Spec, plan: _Plan) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (images, labels) pairs of a folder: train and test, or test alone."""
    pairs = []
    for part in ("train", "test"):
        if f"{part}_images" not in plan.idx:
            continue
        images_path, labels_path = plan.idx[f"{part}_images"], plan.idx[f"{part}_labels"]
        images = _read_idx(images_path, f"{part}_images", spec=spec, fix=plan.fix)
        labels = _read_idx(labels_path, f"{part}_labels", spec=spec, fix=plan.fix)
        if len(images) != len(labels):
            raise CorruptDataError(
                f"{images_path} holds {len(images):,} images but {labels_path.name} holds "
                f"{len(labels):,} labels: they do not belong together. {plan.fix}"
            )
        pairs.append((images, labels))
    return pairs


def _corrupt(path: Path, problem: str, fix: str) -> CorruptDataError:
    return CorruptDataError(f"{path} is damaged: {problem}. {fix}")


def _stat_key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


def _open(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def _read_into(stream: BinaryIO, buffer: memoryview) -> int:
    filled = 0
    while filled < len(buffer):
        got = stream.readinto(buffer[filled:])
        if not got:
            break
        filled += got
    return filled


def _official_digest(spec: _Spec, role: str, count: int) -> str | None:
    # only a file that claims to be the official one (same count) must match it
    if count != _OFFICIAL_COUNTS[role.split("_")[0]]:
        return None
    return _OFFICIAL_IDX_SHA256[spec.name].get(role)


def _official_count(role: str, count: int) -> bool:
    return count == _OFFICIAL_COUNTS[role.split("_")[0]]


def _stored_size(path: Path, promised: int) -> int | None:
    """The file's size once decompressed, or None when gzip will report the damage itself.

    A gzip file's trailer holds its size modulo 2**32: when that agrees with
    ``promised`` the file is taken at its word (the read checks the bytes
    anyway); otherwise the file is decompressed once, counting, without keeping
    anything (a file made of several gzip members has only the last one's size
    in its trailer).
    """
    size = path.stat().st_size
    if not path.name.endswith(".gz"):
        return size
    if size < 18:  # smaller than any gzip file
        return None
    with open(path, "rb") as raw:
        raw.seek(-4, os.SEEK_END)
        if int.from_bytes(raw.read(4), "little") == promised % 2**32:
            return promised
    total = 0
    try:
        with gzip.open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                total += len(block)
    except (OSError, EOFError, zlib.error):
        return None  # the read reports it, with the reason
    return total


def _check_official_gz(path: Path, spec: _Spec, role: str, fix: str) -> None:
    """A file with the official count whose decompressed digest is unknown: the .gz must match."""
    official = _OFFICIAL_GZ_SHA256.get(spec.name, {}).get(role)
    if official is None:
        return
    name = f"{IDX_NAMES[role]}.gz"
    if not path.name.endswith(".gz"):
        raise CorruptDataError(
            f"{path} claims to be the official {spec.title} file (it has the official item "
            f"count) but is not compressed, so it cannot be checked against the official "
            f"{name}. Fix: use the original {name} as downloaded, or Keras's "
            f"{KERAS_MNIST_NPZ}."
        )
    digest = _file_digest(path)
    if digest != official:
        raise CorruptDataError(
            f"{path} is not the official {spec.title} file: it has the official name and item "
            f"count, but its SHA-256 is {digest} and the official {name}'s is {official} "
            f"(a changed or re-compressed copy). {fix}"
        )


def _idx_digest(path: Path, role: str) -> str:
    """SHA-256 of a labels or images file's decompressed bytes (cached)."""
    key = _stat_key(path)
    if key not in _digest_cache:
        _read_idx(path, role, spec=None, fix="", want_digest=True)
    return _digest_cache[key]


def _read_idx(
    path: Path, role: str, *, spec: _Spec | None, fix: str, want_digest: bool = False
) -> np.ndarray:
    """Read one IDX file (gzipped or not), checking it as it goes."""
    is_images = role.endswith("images")
    magic_expected = _IMAGES_MAGIC if is_images else _LABELS_MAGIC
    key = _stat_key(path)
    try:
        with _open(path) as stream:
            header = stream.read(16 if is_images else 8)
            if len(header) < 4:
                raise _corrupt(path, f"it holds only {len(header)} bytes", fix)
            magic = int.from_bytes(header[:4], "big")
            if magic != magic_expected:
                other = {_IMAGES_MAGIC: "an images file", _LABELS_MAGIC: "a labels file"}
                looks = f" ({other[magic]})" if magic in other else ""
                raise _corrupt(
                    path,
                    f"its IDX magic number is {magic}{looks}, expected {magic_expected} for "
                    f"{'an images' if is_images else 'a labels'} file",
                    fix,
                )
            if len(header) < (16 if is_images else 8):
                raise _corrupt(path, "its IDX header is cut short", fix)
            count = int.from_bytes(header[4:8], "big")
            if is_images:
                rows, cols = (
                    int.from_bytes(header[8:12], "big"),
                    int.from_bytes(header[12:16], "big"),
                )
                if (rows, cols) != (_SIDE, _SIDE):
                    raise _corrupt(
                        path, f"its images are {rows}x{cols} pixels, expected {_SIDE}x{_SIDE}", fix
                    )
            kind = "images" if is_images else "labels"
            item_bytes = _SIDE * _SIDE if is_images else 1
            if count == 0:
                raise _corrupt(path, f"its header says it holds 0 {kind}", fix)
            promised = len(header) + count * item_bytes
            stored = _stored_size(path, promised)
            if stored is not None and stored != promised:
                # Checked before anything is allocated: a header that lies about its
                # count must not ask for terabytes.
                raise _corrupt(
                    path,
                    f"its header promises {count:,} {kind} ({promised:,} bytes with the header) "
                    f"but the file holds {stored:,} bytes{' once decompressed' if path.name.endswith('.gz') else ''}",
                    fix,
                )
            official = _official_digest(spec, role, count) if spec is not None else None
            if official is None and spec is not None and _official_count(role, count):
                _check_official_gz(path, spec, role, fix)
            hasher = None
            if (official is not None or want_digest) and key not in _digest_cache:
                hasher = hashlib.sha256(header)
            data = np.empty(count * (_SIDE * _SIDE if is_images else 1), dtype=np.uint8)
            got = _read_into(stream, memoryview(data))
            if got < data.size:
                raise _corrupt(
                    path,
                    f"its header promises {count:,} {'images' if is_images else 'labels'} "
                    f"({data.size:,} bytes) but only {got:,} bytes follow (truncated?)",
                    fix,
                )
            if stream.read(1):
                raise _corrupt(
                    path,
                    f"it holds more bytes than its header's count of {count:,} "
                    f"{'images' if is_images else 'labels'}",
                    fix,
                )
    except PermissionError as err:
        raise _unreadable(path) from err
    except (OSError, EOFError, zlib.error) as err:
        if isinstance(err, CorruptDataError):
            raise
        raise _corrupt(path, f"it cannot be read ({type(err).__name__}: {err})", fix) from err
    if hasher is not None:
        hasher.update(data)
        _digest_cache[key] = hasher.hexdigest()
    if official is not None and _digest_cache[key] != official:
        raise _not_official(path, spec, role, _digest_cache[key], official, fix)
    if is_images:
        return data.reshape(count, _SIDE, _SIDE)
    bad = np.flatnonzero(data >= _NUM_CLASSES)
    if bad.size:
        raise _corrupt(
            path,
            f"label {int(data[bad[0]])} at position {int(bad[0])} is outside 0-{_NUM_CLASSES - 1}"
            f" ({bad.size:,} such labels)",
            fix,
        )
    return data


def _not_official(path: Path, spec: _Spec, role: str, digest: str, official: str, fix: str):
    for other, digests in _OFFICIAL_IDX_SHA256.items():
        if other != spec.name and digests.get(role) == digest:
            return CorruptDataError(
                f"{path} is the official {_SPECS[other].title} file, not {spec.title}. "
                f"Put the {spec.title} file there instead."
            )
    return CorruptDataError(
        f"{path} is not the official {spec.title} file: it has the official name and "
        f"item count but its content differs (SHA-256 of its decompressed bytes is "
        f"{digest}, the official file's is {official}). It was damaged or changed. {fix}"
    )


def _file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes as stored (cached per path, mtime and size)."""
    key = _stat_key(path)
    if key not in _digest_cache:
        hasher = hashlib.sha256()
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                hasher.update(block)
        _digest_cache[key] = hasher.hexdigest()
    return _digest_cache[key]


def _read_npz(path: Path, fix: str):
    """Read Keras's mnist.npz layout, checking keys, shapes, types and labels."""
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise _corrupt(path, "it is a single .npy array, not an .npz archive", fix)
        with archive:
            missing = [key for key in keys if key not in archive.files]
            if missing:
                raise _corrupt(
                    path, f"it has no {', '.join(missing)} (it holds {archive.files})", fix
                )
            arrays = {key: archive[key] for key in keys}
    except CorruptDataError:
        raise
    except PermissionError as err:
        raise _unreadable(path) from err
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as err:
        raise _corrupt(
            path, f"it cannot be read as .npz ({type(err).__name__}: {err})", fix
        ) from err
    for part in ("train", "test"):
        images, labels = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (_SIDE, _SIDE):
            raise _corrupt(path, f"x_{part} is {describe(images)}, expected uint8 (N, 28, 28)", fix)
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise _corrupt(path, f"y_{part} is {describe(labels)}, expected integers (N,)", fix)
        if len(images) != len(labels):
            raise _corrupt(
                path,
                f"x_{part} has {len(images):,} images but y_{part} {len(labels):,} labels",
                fix,
            )
        if len(images) == 0:
            raise _corrupt(path, f"x_{part} holds 0 images", fix)
        if labels.size and (labels.min() < 0 or labels.max() >= _NUM_CLASSES):
            raise _corrupt(path, f"y_{part} has labels outside 0-{_NUM_CLASSES - 1}", fix)
        arrays[f"y_{part}"] = labels.astype(np.uint8, copy=False)
    claims_official = path.name == KERAS_MNIST_NPZ and (
        len(arrays["x_train"]),
        len(arrays["x_test"]),
    ) == (_OFFICIAL_COUNTS["train"], _OFFICIAL_COUNTS["test"])
    if claims_official and _file_digest(path) != KERAS_MNIST_NPZ_SHA256:
        raise CorruptDataError(
            f"{path} is not Keras's official {KERAS_MNIST_NPZ}: its SHA-256 is "
            f"{_file_digest(path)}, the official file's is {KERAS_MNIST_NPZ_SHA256}. "
            f"It was damaged or re-saved. {fix} (Keras's copy is $KERAS_HOME/datasets/"
            f"{KERAS_MNIST_NPZ}, or ~/.keras/datasets/{KERAS_MNIST_NPZ}.)"
        )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
