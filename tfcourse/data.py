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
modification time and size). The reading and checking of the files lives in
``tfcourse/_datafiles.py``; this module decides where the files are.

For the instructor's command line (``python -m tfcourse doctor`` and
``fetch-data``, in ``tfcourse/cli/``) the module also offers, outside
``tfc.``: :func:`dataset_spec`, :func:`dataset_files`, :func:`check_files`,
:func:`file_digest`, :func:`keras_datasets_folder` and :func:`download_with_keras`.
"""

from __future__ import annotations

import importlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfcourse._datafiles import (
    IDX_NAMES,
    KERAS_MNIST_NPZ,
    OFFICIAL_COUNTS,
    TITLES,
    CorruptDataError,
    file_digest,
    read_idx,
    read_npz,
    which_dataset,
)
from tfcourse._validation import check_path, expected

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

# IDX files of MNIST imported into Keras's cache (tfcourse/cli/fetch.py);
# Keras never reads this folder, only this module does.
KERAS_MNIST_IDX_SUBFOLDER = "mnist"
KERAS_MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


class DataUnavailableError(FileNotFoundError):
    """The data set is not on this machine and could not be fetched.

    A FileNotFoundError (so an OSError too): the files are missing, and code
    that already catches a missing file keeps working. The message says where
    it looked and how to get the data.
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
class DatasetSpec:
    """What the course knows of a data set: its name and title, and how Keras gets it.

    ``subfolders`` are where a data folder may hold it, in search order ("" is
    the folder itself); ``npz_name`` is Keras's single-file copy, if it has one.
    """

    name: str
    title: str
    keras_module: str
    download_size: str
    subfolders: tuple[str, ...]
    npz_name: str | None


_SPECS = {
    "mnist": DatasetSpec(
        "mnist", TITLES["mnist"], "keras.datasets.mnist", "about 11 MB", ("",), KERAS_MNIST_NPZ
    ),
    "fashion_mnist": DatasetSpec(
        "fashion_mnist",
        TITLES["fashion_mnist"],
        "keras.datasets.fashion_mnist",
        "about 30 MB",
        (FASHION_SUBFOLDER, ""),
        None,
    ),
}


@dataclass(frozen=True)
class DataFiles:
    """The files a data set is read from (see :func:`dataset_files`).

    Either Keras's ``npz`` file or the ``idx`` files by role ("train_images",
    "train_labels", "test_images", "test_labels"; the test pair alone for a
    test-set split); neither while the data is still to be downloaded.
    ``fix`` is what to do when one of them turns out damaged.
    """

    source: DataSource
    fix: str
    npz: Path | None = None
    idx: dict[str, Path] = field(default_factory=dict)


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

    Example (not run here: the first call may download 11 MB)::

        (x_train, y_train), (x_test, y_test) = tfc.load_mnist(normalize=True)
        x_train.shape, x_train.dtype, tfc.MNIST_CLASSES[y_train[0]]
        # ((60000, 28, 28), dtype('float32'), '5') with the full set
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

    Example (not run here: the first call may download 30 MB)::

        (x_train, y_train), (x_test, y_test) = tfc.load_fashion_mnist()
        x_train.shape, tfc.FASHION_MNIST_CLASSES[y_train[0]]
        # ((60000, 28, 28), 'Ankle boot')
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
        >>> import tfcourse as tfc
        >>> source = tfc.data_source("mnist")  # nothing is read, nothing downloaded
        >>> source.kind in ("folder", "keras-cache", "download")
        True

    With ``TFCOURSE_DATA_DIR`` naming the course's shared ``mnist-t10k``
    folder, ``source.kind`` is "folder" and ``source.test_split`` True.
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
        >>> import tfcourse as tfc
        >>> tfc.verify_data("mnist").kind in ("folder", "keras-cache", "download")
        True
    """
    spec = _spec(name)
    plan = _plan(spec, _check_data_dir(data_dir))
    if plan.source.kind == "download":
        return plan.source
    _check_readable(plan)
    if plan.npz is not None:
        if plan.source.kind == "keras-cache" and file_digest(plan.npz) != KERAS_MNIST_NPZ_SHA256:
            raise CorruptDataError(
                f"{plan.npz} is not Keras's official {KERAS_MNIST_NPZ} (SHA-256 "
                f"{file_digest(plan.npz)}, official {KERAS_MNIST_NPZ_SHA256}). {plan.fix}")
    check_files(plan)
    return plan.source


# --- for the command line (tfcourse.cli: doctor, fetch-data) ---------------------


def dataset_spec(name: str) -> DatasetSpec:
    """The facts of data set ``name`` ("mnist" or "fashion_mnist").

    Example:
        >>> spec = dataset_spec("fashion_mnist")
        >>> spec.title, spec.keras_module
        ('Fashion-MNIST', 'keras.datasets.fashion_mnist')
    """
    return _spec(name)


def dataset_files(
    name: str, folder: str | os.PathLike[str] | None = None, *, named_by: str | None = None
) -> DataFiles:
    """The files of data set ``name`` in ``folder``, else in Keras's cache; nothing read yet.

    With ``folder``, its files as a load with ``data_dir=folder`` finds them
    (:class:`DataUnavailableError` when it holds none); ``named_by`` is how
    messages name the folder (default ``data_dir='<folder>'``). Without, the
    files in Keras's cache (:func:`keras_datasets_folder`), whatever
    ``$TFCOURSE_DATA_DIR`` says: source kind "keras-cache", or "download"
    with no files when they are not there yet. :func:`check_files` reads them.

    Example:
        >>> files = dataset_files("fashion_mnist")
        >>> files.source.kind in ("keras-cache", "download")
        True
    """
    spec = _spec(name)
    if folder is None:
        return _plan_keras(spec)
    root, named = _check_data_dir(folder)
    return _plan_folder(spec, root, named_by or named, may_skip=False)


def check_files(files: DataFiles) -> None:
    """Read every file of ``files`` and check it, as a load would; never download.

    Raises :class:`CorruptDataError` for a damaged, truncated or unofficial
    file and ``PermissionError`` (with the fix) for one this user cannot read.

    Example:
        >>> check_files(dataset_files("mnist"))  # silent when all is well
    """
    if files.npz is not None:
        _read_npz(files.npz, files.fix)
    else:
        _read_idx_pairs(_SPECS[files.source.name], files)


def keras_datasets_folder() -> Path:
    """Keras's dataset cache: where ``keras.datasets.*.load_data()`` keeps its files.

    Keras's rule (``keras.utils.get_file``): ``$KERAS_HOME``, else ``~/.keras``
    (``/tmp/.keras`` when the home folder is not writable), then
    ``datasets/``; a Keras folder that exists but is not writable gives way
    to ``/tmp/.keras``. Read from the environment without importing Keras.
    Keras itself reads ``KERAS_HOME`` once, when it is imported: set the
    variable before that.

    Example:
        >>> keras_datasets_folder().name
        'datasets'
    """
    if "KERAS_HOME" in os.environ:
        home = Path(os.path.expanduser(os.environ["KERAS_HOME"]))
    else:
        base = os.path.expanduser("~")
        home = Path("/tmp" if not os.access(base, os.W_OK) else base) / ".keras"
    if home.exists() and not os.access(home, os.W_OK):
        home = Path("/tmp/.keras")
    return home / "datasets"


def download_with_keras(name: str) -> None:
    """Let Keras fetch data set ``name`` into its cache with its own loader.

    ``keras.datasets.<name>.load_data()`` reads the cache when the files are
    there, else downloads them (checking ``mnist.npz`` against its SHA-256).
    Imports Keras, and so TensorFlow. A failed download raises what Keras
    raises (a bare ``Exception`` for a failed fetch).
    """
    _download_with_keras(_spec(name))


# --- argument checks -----------------------------------------------------------


def _spec(name: object) -> DatasetSpec:
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
    check_path("data_dir", data_dir, "a folder path (str or pathlib.Path) or None")
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


def _looked_for(spec: DatasetSpec) -> str:
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


def _plan(spec: DatasetSpec, folder: tuple[Path, str] | None) -> DataFiles:
    if folder is not None:
        root, named_by = folder
        plan = _plan_folder(spec, root, named_by, may_skip=named_by.startswith(DATA_DIR_ENV))
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
            return DataFiles(source, fix, idx=debian)
    return _plan_keras(spec)


def _plan_folder(
    spec: DatasetSpec, root: Path, named_by: str, *, may_skip: bool
) -> DataFiles | None:
    """The files of a named folder; None when it holds only the other data set
    and ``may_skip`` (the environment's folder), so the next source is tried.

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
            return DataFiles(source, fix_corrupt, npz=npz)
        found = _find_idx(folder)
        if not found:
            continue
        holds = which_dataset(found)
        if holds is not None and holds != spec.name:
            notes.append(f"{folder} holds {TITLES[holds]} files, not {spec.title}.")
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
            train_size = _split_point(OFFICIAL_COUNTS["test"])
            detail += (
                f", test set only (first {train_size:,} of the 10,000 images as training set,"
                f" last {OFFICIAL_COUNTS['test'] - train_size:,} as test set)"
            )
        source = DataSource(spec.name, "folder", folder, detail, test_split=test_only)
        return DataFiles(source, fix_corrupt, idx=found)
    if notes and may_skip:
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


def _check_readable(plan: DataFiles) -> None:
    for path in [plan.npz, *plan.idx.values()]:
        if path is not None and not os.access(path, os.R_OK):
            raise _unreadable(path)


def _folder_fix(spec: DatasetSpec, named_by: str) -> str:
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


def _plan_keras(spec: DatasetSpec) -> DataFiles:
    datasets = keras_datasets_folder()
    fix = "Delete it; Keras downloads a fresh copy next time."
    if spec.npz_name:
        cached = datasets / spec.npz_name
        if cached.is_file():
            source = DataSource(spec.name, "keras-cache", cached, f"Keras's cache: {cached}")
            return DataFiles(source, fix, npz=cached)
        imported = _plan_imported_idx(spec, datasets / KERAS_MNIST_IDX_SUBFOLDER)
        if imported is not None:
            return imported
        where = cached
    else:
        where = datasets / FASHION_SUBFOLDER
        found = _find_idx(where)
        if len(found) == len(IDX_NAMES):
            source = DataSource(spec.name, "keras-cache", where, f"Keras's cache: {where}")
            return DataFiles(source, fix, idx=found)
    detail = (
        f"not on this machine yet: {spec.keras_module}.load_data() downloads it "
        f"({spec.download_size}) to {where}"
    )
    return DataFiles(DataSource(spec.name, "download", where, detail), fix)


def _plan_imported_idx(spec: DatasetSpec, folder: Path) -> DataFiles | None:
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
    return DataFiles(source, fix, idx=found)


# --- loading -----------------------------------------------------------------------


def _load(name: str, *, normalize: object, data_dir: object):
    spec = _SPECS[name]
    normalize = _check_normalize(normalize)
    plan = _plan(spec, _check_data_dir(data_dir))
    if plan.source.kind == "download" or (
        plan.source.kind == "keras-cache"
        and plan.npz is not None
        and file_digest(plan.npz) != KERAS_MNIST_NPZ_SHA256
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


def _download_with_keras(spec: DatasetSpec):
    """Keras's own loader (cache, else download); patched out in the tests."""
    loader = importlib.import_module(spec.keras_module)
    return loader.load_data()


def _load_with_keras(spec: DatasetSpec, plan: DataFiles):
    try:
        return _download_with_keras(spec)
    except Exception as err:  # Keras raises a bare Exception for a failed fetch
        raise DataUnavailableError(_offline_text(spec, plan, err)) from err


def _offline_text(spec: DatasetSpec, plan: DataFiles, err: Exception) -> str:
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


def _split_warning_text(plan: DataFiles, train: tuple, test: tuple) -> str:
    train_size, test_size = len(train[0]), len(test[0])
    return (
        f"Only the {train_size + test_size:,} {_SPECS[plan.source.name].title} test images are "
        f"in {plan.source.path}: serving the first {train_size:,} as training set and the "
        f"last {test_size:,} as test set. Scores are not comparable with the full data set; "
        f"put the train-*.gz files there for the full 60,000."
    )


def _read_idx_pairs(spec: DatasetSpec, plan: DataFiles) -> list[tuple[np.ndarray, np.ndarray]]:
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


def _read_idx(path: Path, role: str, *, spec: DatasetSpec, fix: str) -> np.ndarray:
    try:
        return read_idx(path, role, dataset=spec.name, fix=fix)
    except PermissionError as err:
        raise _unreadable(path) from err


def _read_npz(path: Path, fix: str):
    """Read Keras's mnist.npz layout; a file that claims to be the official one must be."""
    try:
        arrays = read_npz(path, fix)
    except PermissionError as err:
        raise _unreadable(path) from err
    claims_official = path.name == KERAS_MNIST_NPZ and (
        len(arrays["x_train"]),
        len(arrays["x_test"]),
    ) == (OFFICIAL_COUNTS["train"], OFFICIAL_COUNTS["test"])
    if claims_official and file_digest(path) != KERAS_MNIST_NPZ_SHA256:
        raise CorruptDataError(
            f"{path} is not Keras's official {KERAS_MNIST_NPZ}: its SHA-256 is "
            f"{file_digest(path)}, the official file's is {KERAS_MNIST_NPZ_SHA256}. "
            f"It was damaged or re-saved. {fix} (Keras's copy is $KERAS_HOME/datasets/"
            f"{KERAS_MNIST_NPZ}, or ~/.keras/datasets/{KERAS_MNIST_NPZ}.)"
        )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
