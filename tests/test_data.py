"""Tests for tfcourse.data: where the data comes from, what comes back, what is refused.

Offline: the real MNIST test files come from the course's shared folder
(``/work/shared/data/mnist-t10k``, or ``$TFCOURSE_DATA_DIR`` when set), the rest
are tiny IDX files written here. Keras is never allowed to download.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import types
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

import tfcourse as tfc
from tfcourse import _datafiles, data
from tfcourse.data import (
    CorruptDataError,
    DataSource,
    DataUnavailableError,
    TestSetSplitWarning,
    data_source,
    load_fashion_mnist,
    load_mnist,
)

# Read before the autouse fixture clears the variable for every test.
SHARED_T10K = Path(
    os.environ.get("TFCOURSE_DATA_DIR")
    or Path(__file__).resolve().parents[2] / "shared/data/mnist-t10k"
)
DEBIAN_FASHION = data.DEBIAN_FASHION_MNIST_DIR
REAL_DOWNLOAD = data._download_with_keras

# From the shared folder's README (checked there by hand).
T10K_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
T10K_FIRST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
T10K_MEAN_PIXEL = 33.79

NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


# --- helpers: IDX files written from the format's description ------------------


def _idx(array, *, magic: int | None = None, dims=None) -> bytes:
    array = np.asarray(array, dtype=np.uint8)
    if magic is None:
        magic = 2051 if array.ndim == 3 else 2049
    dims = array.shape if dims is None else dims
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in dims)
    return header + array.tobytes()


def _write(folder: Path, name: str, payload: bytes, *, gz: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (f"{name}.gz" if gz else name)
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def _synthetic(count: int, seed: int):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    return images, labels


def _make_set(folder: Path, *, n_train=6, n_test=4, gz=True, seed=0, test_only=False):
    x_train, y_train = _synthetic(n_train, seed)
    x_test, y_test = _synthetic(n_test, seed + 1)
    parts = (
        {"test": (x_test, y_test)}
        if test_only
        else {"train": (x_train, y_train), "test": (x_test, y_test)}
    )
    for part, (images, labels) in parts.items():
        _write(folder, NAMES[f"{part}_images"], _idx(images), gz=gz)
        _write(folder, NAMES[f"{part}_labels"], _idx(labels), gz=gz)
    return (x_train, y_train), (x_test, y_test)


def _read_gz_idx(path: Path, offset: int) -> np.ndarray:
    return np.frombuffer(gzip.decompress(path.read_bytes()), np.uint8, offset=offset)


@pytest.fixture(autouse=True)
def _offline_and_isolated(offline_keras_home):
    return offline_keras_home


@pytest.fixture
def keras_home(_offline_and_isolated) -> Path:
    return _offline_and_isolated


@pytest.fixture
def no_debian(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "no-debian-here")


@pytest.fixture
def t10k() -> Path:
    for name in (NAMES["test_images"], NAMES["test_labels"]):
        if not (SHARED_T10K / f"{name}.gz").is_file():
            pytest.skip(f"the shared MNIST test files are not in {SHARED_T10K}")
    if (SHARED_T10K / f"{NAMES['train_images']}.gz").exists():
        pytest.skip(f"{SHARED_T10K} holds the training files too: no test-set split to check")
    return SHARED_T10K


@pytest.fixture
def t10k_oracle(t10k):
    """The shared files read straight from the IDX layout, independently of tfcourse."""
    images = _read_gz_idx(t10k / f"{NAMES['test_images']}.gz", 16).reshape(-1, 28, 28)
    labels = _read_gz_idx(t10k / f"{NAMES['test_labels']}.gz", 8)
    return images, labels


@pytest.fixture
def t10k_copy(t10k, tmp_path) -> Path:
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in (NAMES["test_images"], NAMES["test_labels"]):
        # copyfile, not copy: the shared files are read-only and the tests edit the copies
        shutil.copyfile(t10k / f"{name}.gz", folder / f"{name}.gz")
    return folder


def _load_quietly(loader=load_mnist, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TestSetSplitWarning)
        return loader(**kwargs)


# --- the shared MNIST test files: split, shapes, the README's facts --------------


def test_shared_t10k_is_split_8000_2000_in_file_order(t10k, t10k_oracle):
    images, labels = t10k_oracle
    (x_train, y_train), (x_test, y_test) = _load_quietly(data_dir=t10k)
    assert x_train.shape == (8000, 28, 28) and y_train.shape == (8000,)
    assert x_test.shape == (2000, 28, 28) and y_test.shape == (2000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    np.testing.assert_array_equal(x_train, images[:8000])
    np.testing.assert_array_equal(y_train, labels[:8000])
    np.testing.assert_array_equal(x_test, images[8000:])
    np.testing.assert_array_equal(y_test, labels[8000:])


def test_shared_t10k_matches_the_readme(t10k):
    (x_train, y_train), (x_test, y_test) = _load_quietly(data_dir=t10k)
    labels = np.concatenate([y_train, y_test])
    assert np.bincount(labels, minlength=10).tolist() == T10K_LABEL_COUNTS
    assert y_train[:10].tolist() == T10K_FIRST_LABELS
    mean = np.concatenate([x_train, x_test]).mean()
    assert round(float(mean), 2) == T10K_MEAN_PIXEL


def test_arrays_are_writable_like_keras(t10k):
    (x_train, y_train), _ = _load_quietly(data_dir=t10k)
    x_train[0, 0, 0] = 1  # students scale in place; a read-only buffer would fail here
    y_train[0] = 1


def test_the_split_warns_and_points_at_the_caller(t10k):
    with pytest.warns(TestSetSplitWarning, match="first 8,000 as training set") as record:
        load_mnist(data_dir=t10k)
    assert issubclass(TestSetSplitWarning, UserWarning)
    assert record[0].filename == __file__
    assert "2,000" in str(record[0].message) and str(t10k) in str(record[0].message)


def test_normalize_gives_float32_in_unit_range(t10k, t10k_oracle):
    images, _ = t10k_oracle
    (x_train, _), (x_test, _) = _load_quietly(data_dir=t10k, normalize=True)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert x_train.min() == 0.0 and x_train.max() == 1.0 and x_test.max() <= 1.0
    np.testing.assert_array_equal(x_test, images[8000:].astype(np.float32) / np.float32(255))


def test_environment_variable_names_the_folder(t10k, monkeypatch, tmp_path):
    monkeypatch.setenv("TFCOURSE_DATA_DIR", str(t10k))
    (_, y_train), _ = _load_quietly()
    assert y_train[:10].tolist() == T10K_FIRST_LABELS
    # the argument wins over the variable
    (synthetic_train, _) = _make_set(tmp_path / "mine")
    (_, y_mine), _ = load_mnist(data_dir=tmp_path / "mine")
    np.testing.assert_array_equal(y_mine, synthetic_train[1])


def test_empty_environment_variable_counts_as_unset(monkeypatch, keras_home):
    monkeypatch.setenv("TFCOURSE_DATA_DIR", "")
    assert data_source("mnist").kind == "download"


def _count_hashes(monkeypatch) -> list:
    """From now on, one entry per SHA-256 that the data files' checks start, with the digest cache emptied."""
    made = []

    def counting_sha256(*args):
        made.append(args)
        return __import__("hashlib").sha256(*args)

    monkeypatch.setattr(_datafiles, "hashlib", types.SimpleNamespace(sha256=counting_sha256))
    monkeypatch.setattr(_datafiles, "_digest_cache", {})
    return made


def test_load_is_fast_and_hashes_each_file_once(t10k_copy, monkeypatch):
    made = _count_hashes(monkeypatch)
    start = time.perf_counter()
    _load_quietly(data_dir=t10k_copy)
    first = time.perf_counter() - start
    assert first < 1.0, f"load_mnist took {first:.2f} s on the 10,000 test images"
    assert len(made) == 2  # images and labels, both with known digests
    _load_quietly(data_dir=t10k_copy)
    assert len(made) == 2
    images = t10k_copy / f"{NAMES['test_images']}.gz"
    os.utime(images, ns=(images.stat().st_atime_ns, images.stat().st_mtime_ns + 10**9))
    _load_quietly(data_dir=t10k_copy)
    assert len(made) == 3  # a changed file is hashed again


def test_loading_from_a_folder_imports_no_keras(t10k):
    code = (
        "import sys, json, warnings; warnings.simplefilter('ignore');"
        "import tfcourse as tfc;"
        f"tfc.load_mnist(data_dir={str(t10k)!r});"
        "print(json.dumps([m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


# --- other official copies: re-gzipped, un-gzipped, modified ---------------------


def test_a_re_gzipped_official_file_still_verifies(t10k_copy, t10k_oracle):
    path = t10k_copy / f"{NAMES['test_images']}.gz"
    repacked = gzip.compress(gzip.decompress(path.read_bytes()), compresslevel=1, mtime=0)
    assert repacked != path.read_bytes()
    path.write_bytes(repacked)
    _, (x_test, _) = _load_quietly(data_dir=t10k_copy)
    np.testing.assert_array_equal(x_test, t10k_oracle[0][8000:])


def test_un_gzipped_official_files_load(t10k_copy, t10k_oracle):
    for name in (NAMES["test_images"], NAMES["test_labels"]):
        gz = t10k_copy / f"{name}.gz"
        (t10k_copy / name).write_bytes(gzip.decompress(gz.read_bytes()))
        gz.unlink()
    (_, y_train), _ = _load_quietly(data_dir=t10k_copy)
    np.testing.assert_array_equal(y_train, t10k_oracle[1][:8000])


def test_a_modified_official_file_fails_its_checksum(t10k_copy):
    path = t10k_copy / f"{NAMES['test_images']}.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[16 + 784 * 5 + 400] ^= 0xFF  # one pixel; structure stays valid
    path.write_bytes(gzip.compress(bytes(raw), compresslevel=1))
    with pytest.raises(CorruptDataError, match="not the official MNIST file") as info:
        _load_quietly(data_dir=t10k_copy)
    assert str(path) in str(info.value) and "Delete it" in str(info.value)


def test_modified_official_labels_fail_their_checksum(t10k_copy):
    path = t10k_copy / f"{NAMES['test_labels']}.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[8] = (raw[8] + 1) % 10
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(CorruptDataError, match=r"t10k-labels-idx1-ubyte\.gz is not the official"):
        _load_quietly(data_dir=t10k_copy)


def test_a_subset_under_the_official_name_gets_structural_checks_only(t10k_oracle, tmp_path):
    images, labels = t10k_oracle
    _write(tmp_path, NAMES["test_images"], _idx(images[:100]))
    _write(tmp_path, NAMES["test_labels"], _idx(labels[:100]))
    with pytest.warns(TestSetSplitWarning, match="first 80 as training set"):
        (x_train, _), (x_test, _) = load_mnist(data_dir=tmp_path)
    assert len(x_train) == 80 and len(x_test) == 20


# --- synthetic IDX and npz folders --------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "raw"])
def test_full_idx_folder_round_trips(tmp_path, gz):
    (x_train, y_train), (x_test, y_test) = _make_set(tmp_path, gz=gz)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a full set must not warn
        (a, b), (c, d) = load_mnist(data_dir=tmp_path)
    for got, want in [(a, x_train), (b, y_train), (c, x_test), (d, y_test)]:
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.uint8


def test_data_dir_accepts_str_and_path(tmp_path):
    (_, y_train), _ = _make_set(tmp_path)
    for folder in (str(tmp_path), tmp_path):
        (_, got), _ = load_mnist(data_dir=folder)
        np.testing.assert_array_equal(got, y_train)


def test_npz_in_the_folder_loads(tmp_path):
    (x_train, y_train), (x_test, y_test) = (_synthetic(5, 3), _synthetic(3, 4))
    np.savez_compressed(
        tmp_path / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test
    )
    (a, b), (c, d) = load_mnist(data_dir=tmp_path, normalize=True)
    np.testing.assert_array_equal(b, y_train)
    np.testing.assert_array_equal(c, x_test.astype(np.float32) / np.float32(255))
    assert a.dtype == np.float32 and d.dtype == np.uint8
    assert data_source("mnist", data_dir=tmp_path) == DataSource(
        "mnist", "folder", tmp_path / "mnist.npz", data_source("mnist", data_dir=tmp_path).detail
    )


def test_fashion_prefers_its_subfolder(tmp_path, no_debian):
    (_, fashion_labels), _ = _make_set(tmp_path / "fashion-mnist", seed=10)
    (_, mnist_labels), _ = _make_set(tmp_path, seed=20)
    (_, got_fashion), _ = load_fashion_mnist(data_dir=tmp_path)
    (_, got_mnist), _ = load_mnist(data_dir=tmp_path)
    np.testing.assert_array_equal(got_fashion, fashion_labels)
    np.testing.assert_array_equal(got_mnist, mnist_labels)
    assert data_source("fashion_mnist", data_dir=tmp_path).path == tmp_path / "fashion-mnist"


def test_fashion_also_reads_the_folder_itself(tmp_path, no_debian):
    (_, labels), _ = _make_set(tmp_path, seed=30)
    (_, got), _ = load_fashion_mnist(data_dir=tmp_path)
    np.testing.assert_array_equal(got, labels)


# --- damaged files: always CorruptDataError, naming the file and the fix ------------


def _images(count=4):
    return _synthetic(count, 7)[0]


def _labels(count=4):
    return _synthetic(count, 7)[1]


def _truncated_gzip(folder):
    payload = gzip.compress(_idx(_images(50)))
    path = folder / f"{NAMES['test_images']}.gz"
    path.write_bytes(payload[: len(payload) // 2])
    return path


def _not_gzip(folder):
    path = folder / f"{NAMES['test_images']}.gz"
    path.write_bytes(b"this is not gzip data at all" * 10)
    return path


def _garbled_deflate(folder):
    payload = bytearray(gzip.compress(_idx(_images(50))))
    for i in range(40, 60):
        payload[i] ^= 0xA5
    path = folder / f"{NAMES['test_images']}.gz"
    path.write_bytes(bytes(payload))
    return path


def _wrong_magic(folder):
    return _write(folder, NAMES["test_images"], _idx(_images(), magic=2049))


def _wrong_dims(folder):
    images = np.zeros((4, 27, 28), np.uint8)
    return _write(folder, NAMES["test_images"], _idx(images))


def _header_promises_more(folder):
    (folder / f"{NAMES['test_images']}.gz").unlink()  # the raw file must be the one read
    return _write(folder, NAMES["test_images"], _idx(_images(), dims=(5, 28, 28)), gz=False)


def _header_promises_less(folder):
    return _write(folder, NAMES["test_images"], _idx(_images(), dims=(3, 28, 28)))


def _short_header(folder):
    return _write(folder, NAMES["test_images"], _idx(_images())[:10])


def _label_out_of_range(folder):
    labels = _labels()
    labels[2] = 10
    return _write(folder, NAMES["test_labels"], _idx(labels))


def _count_mismatch(folder):
    _write(folder, NAMES["test_labels"], _idx(_labels(3)))
    return folder / f"{NAMES['test_images']}.gz"


DAMAGE = {
    "truncated gzip": (_truncated_gzip, "cannot be read"),
    "not gzip": (_not_gzip, "cannot be read"),
    "garbled deflate stream": (_garbled_deflate, "cannot be read"),
    "wrong magic": (_wrong_magic, "magic number is 2049 .a labels file., expected 2051"),
    "wrong dimensions": (_wrong_dims, "27x28 pixels, expected 28x28"),
    "header promises more": (_header_promises_more, "promises 5 images"),
    "header promises less": (_header_promises_less, "promises 3 images .* holds 3,152 bytes"),
    "header cut short": (_short_header, "header is cut short"),
    "label out of range": (_label_out_of_range, "label 10 at position 2"),
    "images and labels disagree": (_count_mismatch, "4 images but .* 3 labels"),
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_damaged_idx_is_a_clear_corrupt_data_error(tmp_path, damage):
    make, problem = DAMAGE[damage]
    _write(tmp_path, NAMES["test_images"], _idx(_images()))
    _write(tmp_path, NAMES["test_labels"], _idx(_labels()))
    path = make(tmp_path)
    with pytest.raises(CorruptDataError, match=problem) as info:
        _load_quietly(data_dir=tmp_path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, OSError)
    assert "copy" in str(info.value)  # the fix


NPZ_DAMAGE = {
    "not a zip": (lambda p: p.write_bytes(b"PK\x03\x04 broken" * 20), "cannot be read as .npz"),
    "missing key": (
        lambda p: np.savez(p, x_train=_images(), y_train=_labels(), x_test=_images()),
        "has no y_test",
    ),
    "wrong image type": (
        lambda p: np.savez(
            p,
            x_train=_images().astype(np.float64),
            y_train=_labels(),
            x_test=_images(),
            y_test=_labels(),
        ),
        "x_train is ndarray of shape .4, 28, 28. and dtype float64",
    ),
    "label out of range": (
        lambda p: np.savez(
            p, x_train=_images(), y_train=_labels() + 10, x_test=_images(), y_test=_labels()
        ),
        "y_train has labels outside 0-9",
    ),
    "a plain npy": (lambda p: p.write_bytes(_npy_bytes()), "single .npy array"),
}


def _npy_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, _images())
    return buffer.getvalue()


@pytest.mark.parametrize("damage", list(NPZ_DAMAGE), ids=list(NPZ_DAMAGE))
def test_damaged_npz_is_a_clear_corrupt_data_error(tmp_path, damage):
    make, problem = NPZ_DAMAGE[damage]
    path = tmp_path / "mnist.npz"
    make(path)
    with pytest.raises(CorruptDataError, match=problem) as info:
        load_mnist(data_dir=tmp_path)
    assert str(path) in str(info.value)


def test_fashion_file_in_an_mnist_folder_is_named_as_such(t10k_copy):
    if not (DEBIAN_FASHION / f"{NAMES['test_images']}.gz").is_file():
        pytest.skip(f"Debian's Fashion-MNIST is not in {DEBIAN_FASHION}")
    name = f"{NAMES['test_images']}.gz"
    shutil.copyfile(DEBIAN_FASHION / name, t10k_copy / name)
    with pytest.raises(CorruptDataError, match="is the official Fashion-MNIST file, not MNIST"):
        _load_quietly(data_dir=t10k_copy)


# --- missing data: DataUnavailableError with the folder, the files and the fix -------


def test_missing_folder(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataUnavailableError) as info:
        load_mnist(data_dir=missing)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert str(missing) in message and "does not exist" in message
    assert "t10k-images-idx3-ubyte.gz" in message and "mnist.npz" in message
    assert "Fix:" in message


def test_missing_folder_named_by_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TFCOURSE_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataUnavailableError, match=r"TFCOURSE_DATA_DIR=.*unset TFCOURSE_DATA_DIR"):
        load_mnist()
    with pytest.raises(DataUnavailableError):
        data_source("fashion_mnist")


def test_empty_folder(tmp_path, no_debian):
    with pytest.raises(DataUnavailableError, match="No MNIST files in") as info:
        load_mnist(data_dir=tmp_path)
    assert "train-labels-idx1-ubyte.gz" in str(info.value)
    with pytest.raises(DataUnavailableError, match="fashion-mnist"):
        load_fashion_mnist(data_dir=tmp_path)


def test_a_file_instead_of_a_folder(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"x")
    with pytest.raises(DataUnavailableError, match="is a file, not a folder"):
        load_mnist(data_dir=path)


def test_half_a_data_set_names_what_is_missing(tmp_path):
    _write(tmp_path, NAMES["test_images"], _idx(_images()))
    with pytest.raises(DataUnavailableError, match=r"missing .*t10k-labels-idx1-ubyte\.gz"):
        load_mnist(data_dir=tmp_path)


def test_mnist_folder_named_as_data_dir_has_no_fashion(t10k):
    with pytest.raises(DataUnavailableError, match="holds MNIST files, not Fashion-MNIST"):
        load_fashion_mnist(data_dir=t10k)


def test_environment_folder_with_only_mnist_lets_fashion_come_from_the_next_source(
    t10k, monkeypatch
):
    # CI sets the variable once for every lesson; a Fashion-MNIST lesson must
    # still reach Debian's copy (or Keras) instead of failing on an MNIST folder.
    monkeypatch.setenv("TFCOURSE_DATA_DIR", str(t10k))
    assert data_source("mnist").kind == "folder"
    assert data_source("fashion_mnist").kind != "folder"


@pytest.mark.parametrize(
    ("loader", "name", "extra"),
    [
        (load_mnist, "MNIST", "mnist.npz"),
        (load_fashion_mnist, "Fashion-MNIST", "apt-get install dataset-fashion-mnist"),
    ],
    ids=["mnist", "fashion_mnist"],
)
def test_offline_keras_download_is_one_clear_error(
    monkeypatch, keras_home, no_debian, loader, name, extra
):
    failure = Exception(
        "URL fetch failure on https://example.invalid/x: [Errno -2] Name or service not known"
    )

    def offline(spec):
        raise failure

    monkeypatch.setattr(data, "_download_with_keras", offline)
    with pytest.raises(DataUnavailableError) as info:
        loader()
    message = str(info.value)
    assert info.value.__cause__ is failure
    assert message.startswith(f"{name} is not on this machine")
    assert "Name or service not known" in message
    assert "internet" in message and str(keras_home) in message
    assert "TFCOURSE_DATA_DIR" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert extra in message and "README" in message


def test_keras_loader_is_the_real_one(monkeypatch, keras_home):
    keras_mnist = pytest.importorskip("keras.datasets.mnist")
    (x_train, y_train), (x_test, y_test) = (_synthetic(5, 1), _synthetic(2, 2))
    calls = []

    def fake_load_data():
        calls.append(1)
        return (x_train, y_train), (x_test, y_test)

    monkeypatch.setattr(data, "_download_with_keras", REAL_DOWNLOAD)
    monkeypatch.setattr(keras_mnist, "load_data", fake_load_data)
    (a, b), (c, _) = load_mnist(normalize=True)
    assert calls == [1]
    np.testing.assert_array_equal(b, y_train)
    assert a.dtype == np.float32 and a.max() <= 1.0 and c.shape == (2, 28, 28)

    def failing_load_data():
        raise Exception("URL fetch failure")

    monkeypatch.setattr(keras_mnist, "load_data", failing_load_data)
    with pytest.raises(DataUnavailableError, match="URL fetch failure"):
        load_mnist()


# --- Keras's cache and Debian's copy ----------------------------------------------------


def test_fashion_from_keras_cache_without_keras(keras_home, no_debian):
    (_, labels), _ = _make_set(keras_home / "datasets" / "fashion-mnist", seed=40)
    source = data_source("fashion_mnist")
    assert (source.kind, source.path) == ("keras-cache", keras_home / "datasets" / "fashion-mnist")
    (_, got), _ = load_fashion_mnist()  # the autouse guard fails the test if Keras is called
    np.testing.assert_array_equal(got, labels)


def test_damaged_keras_cache_says_to_delete_it(keras_home, no_debian):
    folder = keras_home / "datasets" / "fashion-mnist"
    _make_set(folder)
    path = _truncated_gzip(folder)
    with pytest.raises(CorruptDataError, match="Keras downloads a fresh copy") as info:
        load_fashion_mnist()
    assert str(path) in str(info.value)


def _save_npz(path: Path):
    (x_train, y_train), (x_test, y_test) = (_synthetic(5, 5), _synthetic(3, 6))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return y_train


def test_mnist_keras_cache_with_official_hash_is_read_directly(keras_home, monkeypatch):
    cached = keras_home / "datasets" / "mnist.npz"
    y_train = _save_npz(cached)
    monkeypatch.setattr(data, "KERAS_MNIST_NPZ_SHA256", data.file_digest(cached))
    assert data_source("mnist") == DataSource(
        "mnist", "keras-cache", cached, f"Keras's cache: {cached}"
    )
    (_, got), _ = load_mnist()
    np.testing.assert_array_equal(got, y_train)


def test_cached_npz_is_hashed_once(keras_home, monkeypatch):
    cached = keras_home / "datasets" / "mnist.npz"
    _save_npz(cached)
    monkeypatch.setattr(data, "KERAS_MNIST_NPZ_SHA256", data.file_digest(cached))
    made = _count_hashes(monkeypatch)
    load_mnist()
    load_mnist()
    assert len(made) == 1


def test_mnist_keras_cache_with_another_hash_goes_back_to_keras(keras_home, monkeypatch):
    cached = keras_home / "datasets" / "mnist.npz"
    _save_npz(cached)
    fresh = (_synthetic(2, 8), _synthetic(2, 9))
    monkeypatch.setattr(data, "_download_with_keras", lambda spec: fresh)
    (_, got), _ = load_mnist()
    np.testing.assert_array_equal(got, fresh[0][1])

    def offline(spec):
        raise Exception("URL fetch failure")

    monkeypatch.setattr(data, "_download_with_keras", offline)
    with pytest.raises(DataUnavailableError, match="was not the official file"):
        load_mnist()


def test_fashion_from_a_debian_style_folder(monkeypatch, tmp_path):
    (_, labels), _ = _make_set(tmp_path / "debian", seed=50)
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "debian")
    assert data_source("fashion_mnist").kind == "debian"
    (_, got), _ = load_fashion_mnist()
    np.testing.assert_array_equal(got, labels)


def test_fashion_from_the_real_debian_package():
    if not all((DEBIAN_FASHION / f"{name}.gz").is_file() for name in NAMES.values()):
        pytest.skip(f"Debian's dataset-fashion-mnist is not installed in {DEBIAN_FASHION}")
    source = data_source("fashion_mnist")
    assert (source.kind, source.path, source.test_split) == ("debian", DEBIAN_FASHION, False)
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and y_test.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10  # Fashion-MNIST is balanced
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert tfc.FASHION_MNIST_CLASSES[y_train[0]] == "Ankle boot"  # as in Keras's tutorials


# --- data_source ------------------------------------------------------------------------


def test_data_source_for_the_shared_folder(t10k, monkeypatch):
    monkeypatch.setenv("TFCOURSE_DATA_DIR", str(t10k))
    source = data_source()
    assert (source.name, source.kind, source.path, source.test_split) == (
        "mnist",
        "folder",
        t10k,
        True,
    )
    assert "TFCOURSE_DATA_DIR" in source.detail and "8,000" in source.detail
    with pytest.raises(AttributeError):
        source.kind = "download"  # frozen


def test_data_source_for_a_full_folder(tmp_path):
    _make_set(tmp_path)
    source = data_source("mnist", data_dir=tmp_path)
    assert (source.kind, source.path, source.test_split) == ("folder", tmp_path, False)
    assert "data_dir=" in source.detail


def test_data_source_when_keras_must_download(keras_home, no_debian):
    mnist, fashion = data_source("mnist"), data_source("fashion_mnist")
    assert (mnist.kind, mnist.path) == ("download", keras_home / "datasets" / "mnist.npz")
    assert (fashion.kind, fashion.path) == ("download", keras_home / "datasets" / "fashion-mnist")
    assert "keras.datasets.fashion_mnist.load_data()" in fashion.detail


def test_data_source_reads_no_images(tmp_path, monkeypatch):
    _make_set(tmp_path)
    real_read_idx = _datafiles.read_idx

    def labels_only(path, role, **kwargs):
        # a labels file (a few KB) may be read to tell MNIST from Fashion-MNIST
        assert role.endswith("labels"), f"data_source read {path}"
        return real_read_idx(path, role, **kwargs)

    monkeypatch.setattr(_datafiles, "read_idx", labels_only)
    monkeypatch.setattr(data, "read_idx", labels_only)
    assert data_source("mnist", data_dir=tmp_path).kind == "folder"


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["fashion", "MNIST", "cifar10", ""])
def test_data_source_unknown_name(bad):
    with pytest.raises(ValueError, match='"mnist", "fashion_mnist"') as info:
        data_source(bad)
    assert f"Received: name={bad!r}" in str(info.value)


def test_data_source_name_not_a_string():
    with pytest.raises(TypeError, match="Received: name=3"):
        data_source(3)


@pytest.mark.parametrize("loader", [load_mnist, load_fashion_mnist])
@pytest.mark.parametrize("bad", ["yes", 1, None, 1.0])
def test_normalize_must_be_a_bool(loader, bad):
    with pytest.raises(TypeError, match=r"Expected True or False\. Received: normalize="):
        loader(normalize=bad)


@pytest.mark.parametrize("loader", [load_mnist, load_fashion_mnist])
@pytest.mark.parametrize("bad", [123, b"/tmp", ["data"], True])
def test_data_dir_must_be_a_path(loader, bad):
    with pytest.raises(TypeError, match="Received: data_dir="):
        loader(data_dir=bad)
    with pytest.raises(TypeError, match="Received: data_dir="):
        data_source("mnist", data_dir=bad)


def test_data_dir_must_not_be_empty():
    with pytest.raises(ValueError, match="Received: data_dir=''"):
        load_mnist(data_dir="")


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        load_mnist(True)


# --- class names ----------------------------------------------------------------------------


def test_class_names_index_by_label():
    assert tuple(str(digit) for digit in range(10)) == tfc.MNIST_CLASSES
    assert len(set(tfc.FASHION_MNIST_CLASSES)) == 10
    assert (tfc.FASHION_MNIST_CLASSES[0], tfc.FASHION_MNIST_CLASSES[9]) == (
        "T-shirt/top",
        "Ankle boot",
    )
