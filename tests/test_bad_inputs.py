"""Bad input across the public API: a clear error or a visible warning, never a silent wrong answer.

Each case names the exception (or warning) and the words a student needs:
what was expected, what was received, the fix. Data files are written here
from the IDX format's description; nothing is downloaded. The interrupted
import and the killed caller of a local cluster are tested here and in
tests/test_distributed.py.
"""

from __future__ import annotations

import gzip
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import tfcourse as tfc
from tfcourse import cli, data, distributed
from tfcourse.cli import fetch as cli_fetch
from tfcourse.curves import NonFiniteHistoryWarning
from tfcourse.predictions import NonFiniteImageWarning
from tfcourse.weights import NonFiniteWeightsWarning
from tfcourse.widgets import DrawingWarning

pytestmark = pytest.mark.usefixtures("clean_matplotlib")

NAMES = data.IDX_NAMES


def idx(array=None, *, count=None, magic=None, side=28) -> bytes:
    """An IDX file; ``count`` may lie about how many items follow."""
    array = np.zeros((0, side, side), np.uint8) if array is None else np.asarray(array, np.uint8)
    magic = magic or (2051 if array.ndim == 3 else 2049)
    dims = [len(array) if count is None else count, *array.shape[1:]]
    return magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in dims) + array.tobytes()


def folder_with(tmp_path: Path, *, test_images: bytes, test_labels: bytes,
                train: tuple[bytes, bytes] | None = None, gz: bool = True) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(parents=True, exist_ok=True)
    files = {"test_images": test_images, "test_labels": test_labels}
    if train:
        files.update(train_images=train[0], train_labels=train[1])
    for role, payload in files.items():
        name = NAMES[role] + (".gz" if gz else "")
        (folder / name).write_bytes(gzip.compress(payload, compresslevel=1) if gz else payload)
    return folder


def some_images(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def load(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.TestSetSplitWarning)
        return tfc.load_mnist(data_dir=folder)


# --- data files that lie ------------------------------------------------------------


def test_a_file_with_zero_images_is_refused(tmp_path):
    folder = folder_with(tmp_path, test_images=idx(), test_labels=idx(np.zeros(0)))
    with pytest.raises(data.CorruptDataError, match="its header says it holds 0 images"):
        load(folder)


def test_a_file_with_zero_labels_is_refused(tmp_path):
    images, _ = some_images()
    folder = folder_with(tmp_path, test_images=idx(images), test_labels=idx(np.zeros(0)))
    with pytest.raises(data.CorruptDataError, match="holds 0 labels"):
        load(folder)


def test_a_header_promising_two_billion_images_asks_for_no_memory(tmp_path):
    images, labels = some_images()
    folder = folder_with(tmp_path, test_images=idx(images, count=2**31), test_labels=idx(labels))
    with pytest.raises(data.CorruptDataError, match=r"promises 2,147,483,648 images .* holds 3,152 bytes"):
        load(folder)


@pytest.mark.parametrize("gz", [True, False])
def test_a_header_promising_more_images_than_follow_is_refused(tmp_path, gz):
    images, labels = some_images()
    folder = folder_with(tmp_path, test_images=idx(images, count=5), test_labels=idx(labels), gz=gz)
    with pytest.raises(data.CorruptDataError, match="promises 5 images"):
        load(folder)


def test_an_npz_with_no_images_is_refused(tmp_path):
    path = tmp_path / "mnist.npz"
    empty = np.zeros((0, 28, 28), np.uint8)
    np.savez(path, x_train=empty, y_train=np.zeros(0, np.uint8), x_test=empty, y_test=np.zeros(0, np.uint8))
    with pytest.raises(data.CorruptDataError, match="x_train holds 0 images"):
        tfc.load_mnist(data_dir=tmp_path)


@pytest.fixture(scope="module")
def random_training_files(tmp_path_factory):
    """60,000 random images and labels under the official MNIST training names."""
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (60_000, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 60_000, dtype=np.uint8)
    test_images, test_labels = some_images(10)
    folder = folder_with(tmp_path_factory.mktemp("fake"), test_images=idx(test_images),
                         test_labels=idx(test_labels), train=(idx(images), idx(labels)))
    return folder


def test_sixty_thousand_random_training_images_are_not_mnist(random_training_files):
    with pytest.raises(data.CorruptDataError, match=r"not the official MNIST file.*re-compressed"):
        load(random_training_files)


def test_fetch_data_refuses_them_too_and_keeps_the_cache_empty(random_training_files, offline_keras_home):
    (result,) = cli.fetch_data("mnist", source_dir=random_training_files, log=None)
    assert result.status == "failed" and "not the official MNIST file" in result.detail
    assert not (offline_keras_home / "datasets" / "mnist").exists()


def test_an_uncompressed_official_size_training_file_cannot_be_verified(tmp_path):
    images = np.zeros((60_000, 28, 28), np.uint8)
    labels = np.zeros(60_000, np.uint8)
    test_images, test_labels = some_images(10)
    folder = folder_with(tmp_path, test_images=idx(test_images), test_labels=idx(test_labels),
                         train=(idx(images), idx(labels)), gz=False)
    with pytest.raises(data.CorruptDataError, match=r"not compressed, so it cannot be checked.*original"):
        load(folder)


def test_fetch_data_from_a_folder_of_zero_item_files_fails(tmp_path, offline_keras_home):
    folder = folder_with(tmp_path, test_images=idx(), test_labels=idx(np.zeros(0)))
    (result,) = cli.fetch_data("mnist", source_dir=folder, log=None)
    assert result.status == "failed" and "holds 0 images" in result.detail


# --- imports that fail half-way leave the good copy --------------------------------------


def _good_import(tmp_path, keras_home) -> Path:
    images, labels = some_images(10, seed=5)
    folder = folder_with(tmp_path / "good", test_images=idx(images), test_labels=idx(labels))
    (result,) = cli.fetch_data("mnist", source_dir=folder, log=None)
    assert result.status == "imported", result.detail
    return result.path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_interrupted_import_leaves_the_previous_copy_and_no_partial_file(tmp_path, offline_keras_home,
                                                                           monkeypatch):
    target = _good_import(tmp_path, offline_keras_home)
    before = _snapshot(target)
    images, labels = some_images(10, seed=6)
    new = folder_with(tmp_path / "new", test_images=idx(images), test_labels=idx(labels))
    real_copy = cli_fetch.shutil.copyfileobj
    calls = []

    def interrupted(source, target_file, length=0):
        calls.append(1)
        if len(calls) == 2:  # the second file: Ctrl-C in the middle of the import
            raise KeyboardInterrupt
        return real_copy(source, target_file, length)

    monkeypatch.setattr(cli_fetch.shutil, "copyfileobj", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli.fetch_data("mnist", source_dir=new, log=None)
    assert _snapshot(target) == before, "the previous copy changed"
    leftovers = [p.name for p in target.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [], f"partial files or staging folders left: {leftovers}"
    assert load(target)[0][0].shape == (8, 28, 28)


def test_a_copy_that_fails_its_check_replaces_nothing(tmp_path, offline_keras_home, monkeypatch):
    target = _good_import(tmp_path, offline_keras_home)
    before = _snapshot(target)
    images, labels = some_images(10, seed=7)
    new = folder_with(tmp_path / "new", test_images=idx(images), test_labels=idx(labels))
    real_write = cli_fetch._write_atomically

    def source_changed_meanwhile(source, target_file, **kwargs):
        real_write(source, target_file, **kwargs)
        if "labels" in target_file.name:
            target_file.write_bytes(gzip.compress(idx(np.full(10, 12))))  # labels out of range

    monkeypatch.setattr(cli_fetch, "_write_atomically", source_changed_meanwhile)
    (result,) = cli.fetch_data("mnist", source_dir=new, log=None)
    assert result.status == "failed" and "nothing was replaced" in result.detail
    assert _snapshot(target) == before
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []


# --- files and folders that cannot be read ---------------------------------------------


def _deny(monkeypatch, denied: Path):
    real_access = data.os.access
    monkeypatch.setattr(data.os, "access",
                        lambda path, mode: False if Path(path) == denied else real_access(path, mode))


def test_data_source_does_not_call_an_unreadable_file_usable(tmp_path, monkeypatch):
    images, labels = some_images()
    folder = folder_with(tmp_path, test_images=idx(images), test_labels=idx(labels))
    _deny(monkeypatch, folder / f"{NAMES['test_labels']}.gz")
    with pytest.raises(PermissionError, match=r"t10k-labels-idx1-ubyte.gz exists but this user cannot read it.*chmod a\+r"):
        tfc.data_source("mnist", data_dir=folder)


def test_an_unreadable_folder_is_named_as_such(tmp_path, monkeypatch):
    images, labels = some_images()
    folder = folder_with(tmp_path, test_images=idx(images), test_labels=idx(labels))
    _deny(monkeypatch, folder)
    with pytest.raises(PermissionError, match=r"The folder .* cannot read it.*chmod a\+rx"):
        tfc.load_mnist(data_dir=folder)


def test_doctor_fails_on_a_damaged_data_folder_with_the_fix(tmp_path, monkeypatch):
    images, labels = some_images()
    folder = folder_with(tmp_path, test_images=idx(images), test_labels=idx(labels, count=9))
    monkeypatch.setenv("TFCOURSE_DATA_DIR", str(folder))
    (row,) = [c for c in cli.check_environment(network=False, tensorflow=False) if c.name == "MNIST data"]
    assert row.status == "FAIL" and "damaged" in row.found and "promises 9 labels" in row.fix


# --- everything else: (call, exception, words) -------------------------------------------


def _nan_step_loop():
    import tensorflow as tf

    weight = tf.Variable(1.0)

    def train_step(x, y):
        weight.assign(weight * float("nan"))
        return tf.reduce_mean(x) * weight

    return tfc.epoch_loop(train_step, batch_size=2, jit_compile=False)(np.ones((4, 3), np.float32),
                                                                      np.zeros(4, np.int32))


def _placement(expected_type):
    import tensorflow as tf

    return tfc.check_placement(tf.constant(1.0), expected_type)


ERRORS = {
    "load_mnist normalize='yes'": (lambda: tfc.load_mnist(normalize="yes"), TypeError, "True or False"),
    "data_source of cifar": (lambda: tfc.data_source("cifar10"), ValueError, '"mnist", "fashion_mnist"'),
    "data_source of a number": (lambda: tfc.data_source(5), TypeError, "a data set name"),
    "data_dir as bytes": (lambda: tfc.load_mnist(data_dir=b"/tmp"), TypeError, "folder path"),
    "data_dir empty": (lambda: tfc.load_mnist(data_dir=""), ValueError, "data_dir='.'"),
    "data_dir missing": (lambda: tfc.load_mnist(data_dir="/no/such/folder"), data.DataUnavailableError,
                         "does not exist"),
    "plot_history of a string": (lambda: tfc.plot_history("loss"), TypeError, "Keras History"),
    "plot_history of nothing": (lambda: tfc.plot_history({}), ValueError, "at least one metric"),
    "plot_history of uneven lengths": (lambda: tfc.plot_history({"loss": [1, 2], "val_loss": [1]}),
                                       ValueError, "same number of epochs"),
    "gallery of no images": (lambda: tfc.plot_gallery(np.zeros((0, 28, 28)), []), ValueError,
                             "at least one image"),
    "gallery of flat images": (lambda: tfc.plot_gallery(np.zeros((4, 784)), [0, 1, 2, 3]), ValueError,
                               r"\(N, height, width\)"),
    "a confusion matrix of a million classes": (
        lambda: tfc.ConfusionMatrix.from_predictions([0], [0], num_classes=10**6), ValueError, "at most 1,000"),
    "a confusion matrix of huge labels": (
        lambda: tfc.ConfusionMatrix.from_predictions([999_999], [0]), ValueError, "labels below 1,000"),
    "a confusion matrix of unequal lengths": (
        lambda: tfc.ConfusionMatrix.from_predictions([0, 1], [0]), ValueError, "as many predictions"),
    "unit weights of a conv kernel": (lambda: tfc.plot_unit_weights(np.zeros((3, 3, 1, 8))), ValueError,
                                      "convolution kernel"),
    "unit weights of text": (lambda: tfc.plot_unit_weights(np.array(["a", "b"])), TypeError, "numeric kernel"),
    "preprocess_digit invert='yes'": (lambda: tfc.preprocess_digit(np.zeros((28, 28)), invert="yes"),
                                      TypeError, "invert"),
    "a prediction explorer of the word model": (
        lambda: tfc.PredictionExplorer("model", np.zeros((2, 28, 28)), [0, 1]), TypeError,
        "a trained Keras model"),
    "a prediction explorer of NaN probabilities": (
        lambda: tfc.PredictionExplorer(np.full((2, 10), np.nan), np.zeros((2, 28, 28)), [0, 1]),
        ValueError, "finite probabilities"),
    "check_versions with numbers": (lambda: tfc.check_versions({"tensorflow": 2.21, "keras": 3.15}),
                                    TypeError, "'2.21', not 2.21"),
    "check_placement with a number": (lambda: _placement(5), TypeError, '"CPU", "GPU", "TPU" or None'),
    "check_placement with a bogus mode": (lambda: _placement("quantum"), ValueError, "one of 'CPU'"),
    "setup_device of a bogus mode": (lambda: tfc.setup_device("fast"), ValueError, "one of 'auto'"),
    "epoch_loop of a one-argument step": (lambda: tfc.epoch_loop(lambda x: x), TypeError,
                                          r"train_step\(x_batch, y_batch\).*Add the missing parameter"),
    "epoch_loop of a string": (lambda: tfc.epoch_loop("step"), TypeError, "a function train_step"),
    "epoch_loop of batch size 0": (lambda: tfc.epoch_loop(lambda x, y: x, batch_size=0), ValueError,
                                   "positive whole number"),
    "epoch_loop that diverges": (_nan_step_loop, FloatingPointError, r"loss became nan.*smaller learning rate"),
    "a cluster on NaN data": (
        lambda: tfc.run_local_cluster(2, data=(np.full((64, 4), np.nan, np.float32), np.zeros(64, int))),
        ValueError, "finite numbers"),
    "a cluster on negative labels": (
        lambda: tfc.run_local_cluster(2, data=(np.zeros((64, 4), np.float32), -np.ones(64, int))),
        ValueError, "class numbers"),
    "a cluster on integer images": (
        lambda: tfc.run_local_cluster(2, data=(np.zeros((64, 4), np.uint8), np.zeros(64, int))),
        ValueError, "np.float32.255."),
    "a cluster allowed exposure by a string": (
        lambda: tfc.run_local_cluster(2, data=(np.zeros((64, 4), np.float32), np.zeros(64, int)),
                                      allow_network_exposure="yes"), TypeError, "True or False"),
    "a cluster smaller than one batch": (
        lambda: tfc.run_local_cluster(2, data=(np.zeros((8, 4), np.float32), np.zeros(8, int))),
        ValueError, "at least one global batch"),
    "a TF_CONFIG with a bad address": (lambda: distributed.make_tf_config(["localhost"], 0), ValueError,
                                       "host:port"),
    "a TF_CONFIG index out of range": (lambda: distributed.make_tf_config(["a:1", "b:2"], 2), ValueError,
                                       "counting from 0"),
    "an exercise id without its zero": (lambda: tfc.check("4.1", 1), ValueError, 'like "04.1"'),
    "an unknown exercise": (lambda: tfc.check("98.1", 1), ValueError, "known: none"),
    "shuffled batches of unequal lengths": (
        lambda: tfc.shuffled_batches(np.zeros((4, 2)), np.zeros(3)), ValueError, "Expected"),
}


@pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
def test_bad_input_gets_a_clear_error(case):
    call, error, words = ERRORS[case]
    with pytest.raises(error, match=words) as info:
        call()
    assert "Traceback" not in str(info.value)


def test_a_bogus_device_mode_is_not_ignored_by_check_placement(monkeypatch):
    import tensorflow as tf

    monkeypatch.setenv("TFCOURSE_DEVICE", "bogus")
    with pytest.raises(ValueError, match=r"one of 'auto', 'cpu', 'gpu'.*TFCOURSE_DEVICE"):
        tfc.check_placement(tf.constant(1.0))


WARNINGS = {
    "a NaN loss": (lambda: tfc.plot_history({"loss": [2.3, math.nan, math.nan]}), NonFiniteHistoryWarning,
                   r"loss is NaN at epochs 2-3 \(not drawn\)"),
    "an infinite validation loss": (lambda: tfc.plot_history({"loss": [1.0, 0.5], "val_loss": [math.inf, 1.0]}),
                                    NonFiniteHistoryWarning, "val_loss is infinite at epoch 1"),
    "NaN pixels": (lambda: tfc.plot_gallery(np.where(np.eye(28)[None] > 0, np.nan, 0.5).repeat(3, 0), [0, 1, 2]),
                   NonFiniteImageWarning, "3 of 3 images hold NaN"),
    "NaN weights": (lambda: tfc.plot_unit_weights(np.full((784, 4), np.nan)), NonFiniteWeightsWarning,
                    "4 of 4 weight pictures hold NaN"),
    "an all-white canvas": (lambda: tfc.preprocess_digit(np.full((280, 280), 255, np.uint8)), DrawingWarning,
                            "invert=True"),
    "a single pixel": (lambda: tfc.preprocess_digit(np.pad(np.full((1, 1), 255, np.uint8), 100)),
                       DrawingWarning, "Draw bigger"),
}


@pytest.mark.parametrize("case", list(WARNINGS), ids=list(WARNINGS))
def test_suspicious_input_gets_a_visible_warning(case):
    call, warning, words = WARNINGS[case]
    with pytest.warns(warning, match=words):
        call()


def test_a_nan_loss_is_also_written_on_its_panel():
    with pytest.warns(NonFiniteHistoryWarning):
        fig = tfc.plot_history({"loss": [2.3, math.nan]})
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("loss is NaN at epoch 2" in t for t in texts)


def test_weight_panels_that_hold_nan_say_so_in_their_titles():
    kernel = np.zeros((784, 2))
    kernel[:, 1] = np.nan
    with pytest.warns(NonFiniteWeightsWarning):
        fig = tfc.plot_unit_weights(kernel)
    titles = [ax.get_title() for ax in fig.axes]
    assert any("NaN!" in t for t in titles) and not all("NaN!" in t for t in titles if t)


def test_a_model_that_cannot_take_the_images_is_named_before_tensorflow_fails():
    import keras

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(ValueError, match=r"images of shape \(N, 28, 28\), what the model takes.*x_test"):
        tfc.PredictionExplorer(model, np.zeros((3, 27, 27), np.float32), [0, 1, 2])
