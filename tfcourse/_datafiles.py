"""The data sets' files, read and checked: IDX and Keras's ``.npz``, against the official digests.

Shared by :mod:`tfcourse.data` (which decides where the files are and loads
them) and nothing else: this module knows the two file formats and what the
official files' SHA-256 digests are, not where a file came from. What it
finds wrong it raises as :class:`CorruptDataError` naming the file, the
problem and ``fix`` (the caller's advice for that source); a file this user
may not read raises ``PermissionError`` as it is, for the caller to explain.
Each digest is computed once per process (per path, modification time and size).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from tfcourse._validation import describe

# data set name -> how messages call it
TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
# Keras's single-file copy of MNIST (keras.datasets.mnist)
KERAS_MNIST_NPZ = "mnist.npz"

# role -> official file name without ".gz"; the order is the order of the message
IDX_NAMES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
OFFICIAL_COUNTS = {"train": 60_000, "test": 10_000}

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


class CorruptDataError(ValueError, OSError):
    """A data file is there but damaged, truncated or not the official one.

    A ValueError (the content is wrong) and an OSError (the raw errors it
    replaces, such as ``gzip.BadGzipFile``, are OSErrors), like
    ``io.UnsupportedOperation``, so ``except ValueError`` and
    ``except OSError`` both still catch it. The message names the file and
    how to replace it.
    """

    __module__ = "tfcourse.data"  # where students meet it (tfc.CorruptDataError)


# (path, mtime_ns, size) -> SHA-256 hex digest, so each file is hashed once
_digest_cache: dict[tuple[str, int, int], str] = {}


def corrupt(path: Path, problem: str, fix: str) -> CorruptDataError:
    """The error for a damaged file: "<path> is damaged: <problem>. <fix>"."""
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


def _official_count(role: str, count: int) -> bool:
    return count == OFFICIAL_COUNTS[role.split("_")[0]]


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


def _check_official_gz(path: Path, dataset: str, role: str, fix: str) -> None:
    """A file with the official count whose decompressed digest is unknown: the .gz must match."""
    official = _OFFICIAL_GZ_SHA256.get(dataset, {}).get(role)
    if official is None:
        return
    name = f"{IDX_NAMES[role]}.gz"
    if not path.name.endswith(".gz"):
        raise CorruptDataError(
            f"{path} claims to be the official {TITLES[dataset]} file (it has the official item "
            f"count) but is not compressed, so it cannot be checked against the official "
            f"{name}. Fix: use the original {name} as downloaded, or Keras's "
            f"{KERAS_MNIST_NPZ}."
        )
    digest = file_digest(path)
    if digest != official:
        raise CorruptDataError(
            f"{path} is not the official {TITLES[dataset]} file: it has the official name and item "
            f"count, but its SHA-256 is {digest} and the official {name}'s is {official} "
            f"(a changed or re-compressed copy). {fix}"
        )


def idx_digest(path: Path, role: str) -> str:
    """SHA-256 of a labels or images file's decompressed bytes (cached)."""
    key = _stat_key(path)
    if key not in _digest_cache:
        read_idx(path, role, dataset=None, fix="", want_digest=True)
    return _digest_cache[key]


def read_idx(
    path: Path, role: str, *, dataset: str | None, fix: str, want_digest: bool = False
) -> np.ndarray:
    """Read one IDX file (gzipped or not), checking it as it goes.

    ``role`` is a key of :data:`IDX_NAMES` ("test_images", ...). With
    ``dataset`` ("mnist" or "fashion_mnist") a file holding the official number
    of items must also be the official file (its digest); ``dataset=None``
    checks the structure only. Returns uint8 images (N, 28, 28) or labels (N,).
    """
    is_images = role.endswith("images")
    magic_expected = _IMAGES_MAGIC if is_images else _LABELS_MAGIC
    key = _stat_key(path)
    try:
        with _open(path) as stream:
            header = stream.read(16 if is_images else 8)
            if len(header) < 4:
                raise corrupt(path, f"it holds only {len(header)} bytes", fix)
            magic = int.from_bytes(header[:4], "big")
            if magic != magic_expected:
                other = {_IMAGES_MAGIC: "an images file", _LABELS_MAGIC: "a labels file"}
                looks = f" ({other[magic]})" if magic in other else ""
                raise corrupt(
                    path,
                    f"its IDX magic number is {magic}{looks}, expected {magic_expected} for "
                    f"{'an images' if is_images else 'a labels'} file",
                    fix,
                )
            if len(header) < (16 if is_images else 8):
                raise corrupt(path, "its IDX header is cut short", fix)
            count = int.from_bytes(header[4:8], "big")
            if is_images:
                rows, cols = (
                    int.from_bytes(header[8:12], "big"),
                    int.from_bytes(header[12:16], "big"),
                )
                if (rows, cols) != (_SIDE, _SIDE):
                    raise corrupt(
                        path, f"its images are {rows}x{cols} pixels, expected {_SIDE}x{_SIDE}", fix
                    )
            kind = "images" if is_images else "labels"
            item_bytes = _SIDE * _SIDE if is_images else 1
            if count == 0:
                raise corrupt(path, f"its header says it holds 0 {kind}", fix)
            promised = len(header) + count * item_bytes
            stored = _stored_size(path, promised)
            if stored is not None and stored != promised:
                # Checked before anything is allocated: a header that lies about its
                # count must not ask for terabytes.
                raise corrupt(
                    path,
                    f"its header promises {count:,} {kind} ({promised:,} bytes with the header) "
                    f"but the file holds {stored:,} bytes{' once decompressed' if path.name.endswith('.gz') else ''}",
                    fix,
                )
            # only a file that claims to be the official one (same count) must match it
            official = None
            if dataset is not None and _official_count(role, count):
                official = _OFFICIAL_IDX_SHA256[dataset].get(role)
                if official is None:  # no published digest: check the .gz instead
                    _check_official_gz(path, dataset, role, fix)
            hasher = None
            if (official is not None or want_digest) and key not in _digest_cache:
                hasher = hashlib.sha256(header)
            data = np.empty(count * (_SIDE * _SIDE if is_images else 1), dtype=np.uint8)
            got = _read_into(stream, memoryview(data))
            if got < data.size:
                raise corrupt(
                    path,
                    f"its header promises {count:,} {'images' if is_images else 'labels'} "
                    f"({data.size:,} bytes) but only {got:,} bytes follow (truncated?)",
                    fix,
                )
            if stream.read(1):
                raise corrupt(
                    path,
                    f"it holds more bytes than its header's count of {count:,} "
                    f"{'images' if is_images else 'labels'}",
                    fix,
                )
    except PermissionError:
        raise  # the caller says how to make it readable
    except (OSError, EOFError, zlib.error) as err:
        if isinstance(err, CorruptDataError):
            raise
        raise corrupt(path, f"it cannot be read ({type(err).__name__}: {err})", fix) from err
    if hasher is not None:
        hasher.update(data)
        _digest_cache[key] = hasher.hexdigest()
    if official is not None and _digest_cache[key] != official:
        raise _not_official(path, dataset, role, _digest_cache[key], official, fix)
    if is_images:
        return data.reshape(count, _SIDE, _SIDE)
    bad = np.flatnonzero(data >= _NUM_CLASSES)
    if bad.size:
        raise corrupt(
            path,
            f"label {int(data[bad[0]])} at position {int(bad[0])} is outside 0-{_NUM_CLASSES - 1}"
            f" ({bad.size:,} such labels)",
            fix,
        )
    return data


def _not_official(path: Path, dataset: str, role: str, digest: str, official: str, fix: str):
    for other, digests in _OFFICIAL_IDX_SHA256.items():
        if other != dataset and digests.get(role) == digest:
            return CorruptDataError(
                f"{path} is the official {TITLES[other]} file, not {TITLES[dataset]}. "
                f"Put the {TITLES[dataset]} file there instead."
            )
    return CorruptDataError(
        f"{path} is not the official {TITLES[dataset]} file: it has the official name and "
        f"item count but its content differs (SHA-256 of its decompressed bytes is "
        f"{digest}, the official file's is {official}). It was damaged or changed. {fix}"
    )


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes as stored (cached per path, mtime and size).

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as empty:
        ...     pass
        >>> file_digest(Path(empty.name))[:16]  # the SHA-256 of no bytes at all
        'e3b0c44298fc1c14'
        >>> os.remove(empty.name)
    """
    key = _stat_key(path)
    if key not in _digest_cache:
        hasher = hashlib.sha256()
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                hasher.update(block)
        _digest_cache[key] = hasher.hexdigest()
    return _digest_cache[key]


def read_npz(path: Path, fix: str) -> dict[str, np.ndarray]:
    """The four arrays of Keras's mnist.npz layout, keys, shapes, types and labels checked.

    Whether the file is Keras's official one is the caller's question.
    """
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise corrupt(path, "it is a single .npy array, not an .npz archive", fix)
        with archive:
            missing = [key for key in keys if key not in archive.files]
            if missing:
                raise corrupt(
                    path, f"it has no {', '.join(missing)} (it holds {archive.files})", fix
                )
            arrays = {key: archive[key] for key in keys}
    except (CorruptDataError, PermissionError):
        raise  # a PermissionError: the caller says how to make the file readable
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as err:
        raise corrupt(
            path, f"it cannot be read as .npz ({type(err).__name__}: {err})", fix
        ) from err
    for part in ("train", "test"):
        images, labels = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (_SIDE, _SIDE):
            raise corrupt(path, f"x_{part} is {describe(images)}, expected uint8 (N, 28, 28)", fix)
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise corrupt(path, f"y_{part} is {describe(labels)}, expected integers (N,)", fix)
        if len(images) != len(labels):
            raise corrupt(
                path,
                f"x_{part} has {len(images):,} images but y_{part} {len(labels):,} labels",
                fix,
            )
        if len(images) == 0:
            raise corrupt(path, f"x_{part} holds 0 images", fix)
        if labels.size and (labels.min() < 0 or labels.max() >= _NUM_CLASSES):
            raise corrupt(path, f"y_{part} has labels outside 0-{_NUM_CLASSES - 1}", fix)
        arrays[f"y_{part}"] = labels.astype(np.uint8, copy=False)
    return arrays


def which_dataset(found: dict[str, Path]) -> str | None:
    """Which data set a folder's IDX files are ("mnist", "fashion_mnist"), when official.

    Told by the labels file's digest (a few KB read); None for files that are
    not official, or that cannot be read (the load reports those itself).
    """
    for role in ("test_labels", "train_labels"):
        if role not in found:
            continue
        try:
            digest = idx_digest(found[role], role)
        except (CorruptDataError, PermissionError):
            return None  # the load itself reports it, with the file's name
        for name, digests in _OFFICIAL_IDX_SHA256.items():
            if digests.get(role) == digest:
                return name
    return None
