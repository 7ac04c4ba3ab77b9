"""The command line (tfcourse.cli): doctor, fetch-data and run, offline.

Data: the real MNIST test files of the course's shared folder and Debian's
Fashion-MNIST; Keras's cache is a temporary folder (KERAS_HOME) and Keras is
never allowed to download. ``run`` executes a tiny notebook, a broken one and
lesson 02 once for the whole module.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import types
import warnings
from importlib import metadata
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tfcourse import cli, data, env
from tfcourse.cli import course, doctor
from tfcourse.cli import run as run_module

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
# Read before the autouse fixture clears the variable for every test.
SHARED_T10K = Path(
    os.environ.get("TFCOURSE_DATA_DIR") or ROOT.parent / "shared" / "data" / "mnist-t10k"
)
DEBIAN_FASHION = data.DEBIAN_FASHION_MNIST_DIR
NAMES = data.IDX_NAMES
GIB = 1024**3


# --- helpers ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def keras_home(offline_keras_home) -> Path:
    return offline_keras_home


@pytest.fixture
def t10k() -> Path:
    if not (SHARED_T10K / f"{NAMES['test_images']}.gz").is_file():
        pytest.skip(f"the shared MNIST test files are not in {SHARED_T10K}")
    return SHARED_T10K


@pytest.fixture
def debian_fashion() -> Path:
    if not all((DEBIAN_FASHION / f"{name}.gz").is_file() for name in NAMES.values()):
        pytest.skip(f"Debian's Fashion-MNIST is not in {DEBIAN_FASHION}")
    return DEBIAN_FASHION


def _main(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def _idx(array: np.ndarray) -> bytes:
    magic = 2051 if array.ndim == 3 else 2049
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _synthetic_set(folder: Path, *, seed: int, n_train: int = 6, n_test: int = 4) -> None:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for part, count in (("train", n_train), ("test", n_test)):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=count, dtype=np.uint8)
        (folder / f"{NAMES[f'{part}_images']}.gz").write_bytes(gzip.compress(_idx(images)))
        (folder / f"{NAMES[f'{part}_labels']}.gz").write_bytes(gzip.compress(_idx(labels)))


def _rows(out: str) -> dict[str, str]:
    """doctor's table: check name -> status."""
    rows = {}
    for line in out.splitlines():
        match = re.match(r"^(PASS|WARN|FAIL|INFO)\s{2,}(.+?)\s{2,}", line)
        if match:
            rows[match[2]] = match[1]
    return rows


# --- the command line itself ------------------------------------------------------


def test_python_m_tfcourse_shows_every_command():
    done = subprocess.run([sys.executable, "-m", "tfcourse", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m tfcourse")
    for command in ("doctor", "fetch-data", "run"):
        assert command in done.stdout


@pytest.mark.parametrize("command", ["doctor", "fetch-data", "run"])
def test_every_command_has_help(capsys, command):
    code, out, _ = _main(capsys, command, "--help")
    assert code == 0
    assert out.startswith(f"usage: tfcourse {command}")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "the following arguments are required: COMMAND"),
        (("teach",), "invalid choice: 'teach'"),
        (("fetch-data", "--dataset", "cifar10"), "invalid choice: 'cifar10'"),
        (("fetch-data", "--from", "/no/such/usb-stick"), "--from /no/such/usb-stick: no such folder"),
        (("doctor", "--requirements", "/no/such/file.txt"), "no such file"),
        (("doctor", "--fast"), "unrecognized arguments: --fast"),
        (("run", "--timeout", "-5"), "expected a positive number of seconds"),
        (("run", "--timeout", "soon"), "expected a number of seconds"),
        (("run", "99"), "Expected a lesson number in"),
        (("run", "no_such_lesson.ipynb"), "Expected a lesson number, a file name"),
        (("run", "--output", str(LESSONS), "2"), "other than the lessons' own folder"),
    ],
)
def test_bad_arguments_give_one_line_and_the_usage(capsys, argv, message):
    code, out, err = _main(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert lines[0].startswith("usage: tfcourse")
    (error,) = [line for line in lines if "error:" in line]
    assert error == lines[-1] and message in error


def test_a_readme_file_is_not_a_lesson(capsys):
    code, _, err = _main(capsys, "run", str(ROOT / "README.md"))
    assert code == 2 and "Expected a notebook (.ipynb)" in err


def test_main_checks_its_own_arguments():
    with pytest.raises(TypeError, match=r"Expected a list of argument strings.*argv='doctor'"):
        cli.main("doctor")
    with pytest.raises(TypeError, match="argv="):
        cli.main(["run", 3])
    with pytest.raises(TypeError, match="prog="):
        cli.main(["doctor"], prog="")


def test_console_script_points_at_main():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["tfcourse"] == "tfcourse.cli:main"
    installed = [ep for ep in metadata.entry_points(group="console_scripts")
                 if ep.name == "tfcourse"]
    if not installed:
        pytest.skip("tfcourse was installed before its console script: pip install -e .")
    assert installed[0].value == "tfcourse.cli:main"
    assert installed[0].load() is cli.main


# --- doctor -----------------------------------------------------------------------


def test_doctor_reports_unreadable_data_as_a_failure_not_a_traceback(capsys, monkeypatch, t10k):
    monkeypatch.setenv("TFCOURSE_DATA_DIR", str(t10k))

    def unreadable(name, **kwargs):
        raise PermissionError(f"Cannot read {t10k}: run chmod -R u+r on it")

    monkeypatch.setattr(data, "verify_data", unreadable)
    code, out, _ = _main(capsys, "doctor", "--no-network", "--skip-tensorflow")
    rows = _rows(out)
    assert code == 1, out
    assert rows["MNIST data"] == rows["Fashion-MNIST data"] == "FAIL", out
    assert "damaged or unreadable" in out and "chmod" in out


def test_doctor_is_green_here_with_the_shared_data(capsys, monkeypatch, t10k, debian_fashion):
    monkeypatch.setenv("TFCOURSE_DATA_DIR", str(t10k))
    code, out, _ = _main(capsys, "doctor")
    rows = _rows(out)
    assert code == 0, out
    assert "FAIL" not in rows.values(), out
    assert rows["TensorFlow"] == "PASS"
    assert rows["tensorflow"] == rows["keras"] == rows["ipywidgets"] == "PASS"
    assert rows["lab extension @jupyter-widgets/jupyterlab-manager"] == "PASS"
    assert rows["MNIST data"] == "WARN"  # the 8,000 / 2,000 split of the test set
    assert rows["Fashion-MNIST data"] == "PASS"
    # reachable or not, the download is not needed: information, not a failure
    assert rows["download site"] == "INFO"
    assert "ready for class: 0 failed" in out


def _requirements(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text(text)
    return path


def test_a_wrong_version_fails_and_names_the_fix(capsys, tmp_path, debian_fashion):
    pins = _requirements(tmp_path, "-e .\nnumpy~=1.20\nkeras~=3.15.0\n")
    code, out, _ = _main(capsys, "doctor", "--requirements", str(pins),
                         "--no-network", "--skip-tensorflow")
    assert code == 1
    rows = _rows(out)
    assert rows["numpy"] == "FAIL" and rows["keras"] == "PASS"
    assert re.search(rf"numpy\s+{re.escape(np.__version__)}, but the course pins ~=1.20", out)
    assert "FAIL numpy: pip install -r requirements.txt" in out
    assert "NOT ready: 1 failed" in out


def test_test_only_packages_are_information_when_missing(tmp_path):
    pins = _requirements(tmp_path, (
        "# --- Course ---\nnot-a-real-package-tfcourse~=1.0\n"
        "# --- Tests: unit tests ---\nalso-not-real-tfcourse~=2.0\n"
        'skipped-by-marker~=1.0; python_version < "3"\n'
    ))
    rows = {c.name: c for c in cli.check_environment(requirements=pins, network=False,
                                                     tensorflow=False)}
    assert rows["not-a-real-package-tfcourse"].status == "FAIL"
    assert "pip install -r requirements.txt" in rows["not-a-real-package-tfcourse"].fix
    assert rows["also-not-real-tfcourse"].status == "INFO"
    assert "skipped-by-marker" not in rows


def test_an_unreadable_requirements_file_is_a_failure_not_a_crash(tmp_path):
    pins = _requirements(tmp_path, "numpy~=1.0\nthis is not a requirement!\n")
    (row,) = [c for c in cli.check_environment(requirements=pins, network=False,
                                                tensorflow=False)
              if c.name == "package versions"]
    assert row.status == "FAIL" and "line 2" in row.fix


def test_tensorflow_cpu_meets_a_tensorflow_pin(tmp_path, monkeypatch):
    real_version = metadata.version

    def binder_like(name):  # what Binder's image has: tensorflow-cpu, no tensorflow
        if name == "tensorflow":
            raise metadata.PackageNotFoundError(name)
        return "2.21.3" if name == "tensorflow-cpu" else real_version(name)

    monkeypatch.setattr(doctor.metadata, "version", binder_like)
    pins = _requirements(tmp_path, "tensorflow~=2.21.0\n")
    (row,) = [c for c in cli.check_environment(requirements=pins, network=False,
                                                tensorflow=False) if c.name == "tensorflow"]
    assert (row.status, row.found) == ("PASS", "2.21.3 (tensorflow-cpu), pinned ~=2.21.0")


def test_gpu_mode_without_a_gpu_fails_with_its_fix(monkeypatch):
    monkeypatch.setenv("TFCOURSE_DEVICE", "gpu")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")  # no GPU, whatever the machine
    (row,) = doctor._tensorflow_checks()
    assert row.status == "FAIL" and "TFCOURSE_DEVICE=gpu" in row.found
    assert "Unset TFCOURSE_DEVICE" in row.fix


@pytest.mark.parametrize(("report", "status", "words"), [
    ({"device": "/CPU:0"}, None, ""),
    ({"device": "/GPU:0", "xla_gpu_error": None}, "PASS", ""),
    ({"device": "/GPU:0", "xla_gpu_error": "InternalError: libdevice not found at ./libdevice.10.bc"},
     "FAIL", "XLA_FLAGS=--xla_gpu_cuda_data_dir"),
    ({"device": "/GPU:0", "xla_gpu_error": "InternalError: Couldn't invoke ptxas --version"},
     "FAIL", 'pip install "tensorflow[and-cuda]~=2.21.0"'),
    ({"device": "/GPU:0", "xla_gpu_error": "ResourceExhaustedError: out of memory"},
     "FAIL", "TFCOURSE_DEVICE=cpu"),
])
def test_xla_on_the_gpu_is_checked_and_a_missing_cuda_tool_named(report, status, words):
    # No GPU here: the probe's report is given, as a GPU machine would write it.
    row = doctor._xla_gpu_check(report)
    if status is None:
        assert row is None
        return
    assert row.status == status and row.name == "XLA on the GPU"
    assert words in row.fix


def test_missing_widget_extension_fails(monkeypatch, tmp_path):
    import jupyter_core.paths

    monkeypatch.setattr(jupyter_core.paths, "jupyter_path", lambda *parts: [str(tmp_path)])
    rows = {c.name: c for c in doctor._lab_extension_checks()}
    widgets = rows["lab extension @jupyter-widgets/jupyterlab-manager"]
    assert widgets.status == "FAIL" and "jupyterlab_widgets" in widgets.fix


@pytest.mark.parametrize(("reachable", "status"), [(True, "PASS"), (False, "FAIL")])
def test_data_that_must_be_downloaded(monkeypatch, tmp_path, reachable, status):
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "no-debian")
    monkeypatch.setattr(doctor, "_probe_download", lambda url: None if reachable else "no route")
    rows = {c.name: c for c in doctor._data_checks(network=True)}
    for title in ("MNIST data", "Fashion-MNIST data"):
        assert rows[title].status == status
    if not reachable:
        assert "fetch-data --from" in rows["MNIST data"].fix
        assert "no route" in rows["download site"].found


def test_download_site_check_is_quick_offline(monkeypatch):
    """Offline, the doctor answers at once: a site that never replies is given up
    after NETWORK_TIMEOUT_S, and a name that cannot resolve fails without waiting."""
    for variable in ("http_proxy", "https_proxy", "all_proxy"):  # straight to the socket
        monkeypatch.delenv(variable, raising=False)
        monkeypatch.delenv(variable.upper(), raising=False)
    monkeypatch.setattr(doctor, "NETWORK_TIMEOUT_S", 0.5)
    with socket.create_server(("127.0.0.1", 0)) as silent:  # connects, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/mnist.npz"
        started = time.perf_counter()
        reason = doctor._probe_download(url)
        waited = time.perf_counter() - started
    assert reason is not None and "timed out" in reason
    assert 0.4 < waited < 0.5 + 2.0, f"the probe waited {waited:.1f} s for a 0.5 s timeout"
    started = time.perf_counter()
    reason = doctor._probe_download("https://tfcourse-no-such-host.invalid/mnist.npz")
    waited = time.perf_counter() - started
    assert reason is not None
    assert waited < 5.0, f"an unresolvable name took {waited:.1f} s"  # generous: DNS is not ours


def test_probed_urls_are_the_ones_keras_downloads_from():
    keras_files = metadata.distribution("keras")
    for name, url in doctor.DOWNLOAD_PROBES.items():
        source = Path(keras_files.locate_file(f"keras/src/datasets/{name}.py")).read_text()
        assert doctor.KERAS_DATA_URL in source
        assert url.removeprefix(doctor.KERAS_DATA_URL) in source


def test_little_memory_is_a_warning(monkeypatch):
    psutil = pytest.importorskip("psutil")
    monkeypatch.setattr(psutil, "virtual_memory",
                        lambda: types.SimpleNamespace(total=64 * GIB, available=60 * GIB))
    monkeypatch.setattr(env, "_cgroup_memory", lambda: (2 * GIB, int(1.5 * GIB)))  # Binder
    row = doctor._memory_check()
    assert (row.status, row.found) == ("WARN", "0.5 GiB free of 2.0 GiB (this container)")
    assert "Shut Down All Kernels" in row.fix
    monkeypatch.setattr(env, "_cgroup_memory", lambda: None)
    assert doctor._memory_check().status == "PASS"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"network": "yes"}, TypeError, "network="),
        ({"tensorflow": 1}, TypeError, "tensorflow="),
        ({"requirements": 3}, TypeError, "requirements="),
        ({"requirements": "/no/such/requirements.txt"}, FileNotFoundError, "requirements="),
    ],
)
def test_check_environment_checks_its_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        cli.check_environment(**kwargs)


# --- fetch-data ---------------------------------------------------------------------


def test_fetch_imports_the_shared_test_set_into_keras_cache(capsys, keras_home, t10k):
    code, out, _ = _main(capsys, "fetch-data", "--dataset", "mnist", "--from", str(t10k))
    assert code == 0, out
    target = keras_home / "datasets" / "mnist"
    assert sorted(p.name for p in target.iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    source = data.data_source("mnist")  # no TFCOURSE_DATA_DIR: Keras's cache
    assert (source.kind, source.path, source.test_split) == ("keras-cache", target, True)
    with pytest.warns(data.TestSetSplitWarning):
        (x_train, y_train), (x_test, _) = data.load_mnist()
    with pytest.warns(data.TestSetSplitWarning):
        (x_direct, y_direct), _ = data.load_mnist(data_dir=t10k)
    assert (len(x_train), len(x_test)) == (8000, 2000)
    np.testing.assert_array_equal(y_train, y_direct)
    np.testing.assert_array_equal(x_train, x_direct)


def test_fetch_imports_debian_fashion_where_keras_itself_reads_it(capsys, keras_home,
                                                                  debian_fashion):
    code, out, _ = _main(capsys, "fetch-data", "--dataset", "fashion_mnist",
                         "--from", str(debian_fashion))
    assert code == 0, out
    assert "Fashion-MNIST: imported" in out
    (_, y_train), (_, y_test) = data.load_fashion_mnist(data_dir=debian_fashion)
    # Keras's own loader, offline, in a fresh process pointed at this cache
    code = ("import keras\n(x, y), (xt, yt) = keras.datasets.fashion_mnist.load_data()\n"
            "print(x.shape[0], xt.shape[0], int(y.sum()), int(yt.sum()))")
    environ = dict(os.environ, KERAS_HOME=str(keras_home), TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=environ, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Downloading" not in done.stdout
    assert done.stdout.split()[-4:] == ["60000", "10000", str(int(y_train.sum())),
                                        str(int(y_test.sum()))]


def test_one_usb_folder_brings_both_data_sets(capsys, keras_home, tmp_path, t10k,
                                              debian_fashion):
    usb = tmp_path / "usb"  # ~/.keras/datasets copied as it is: MNIST, then fashion-mnist/
    shutil.copytree(t10k, usb)
    shutil.copytree(debian_fashion, usb / "fashion-mnist")
    code, out, _ = _main(capsys, "fetch-data", "--from", str(usb))
    assert code == 0, out
    assert "MNIST: imported" in out and "Fashion-MNIST: imported" in out
    assert "Ready offline: MNIST, Fashion-MNIST" in out
    assert len(list((keras_home / "datasets" / "fashion-mnist").glob("*.gz"))) == 4


def test_a_damaged_file_is_refused_and_nothing_is_copied(capsys, keras_home, tmp_path, t10k):
    usb = tmp_path / "usb"
    shutil.copytree(t10k, usb)
    labels = usb / f"{NAMES['test_labels']}.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # one label changed: still valid, not official
    labels.write_bytes(gzip.compress(bytes(raw)))
    code, out, _ = _main(capsys, "fetch-data", "--dataset", "mnist", "--from", str(usb))
    assert code == 1
    assert "is not the official MNIST file" in out
    assert not (keras_home / "datasets" / "mnist").exists()


def test_wrong_data_set_in_the_folder_is_named(capsys, t10k):
    code, out, _ = _main(capsys, "fetch-data", "--dataset", "fashion_mnist", "--from", str(t10k))
    assert code == 1
    assert "holds MNIST files, not Fashion-MNIST" in out
    assert "data_dir=None" not in out and "unset TFCOURSE_DATA_DIR" not in out


def test_fashion_test_files_alone_are_refused(capsys, tmp_path, debian_fashion):
    usb = tmp_path / "usb"
    usb.mkdir()
    for role in ("test_images", "test_labels"):
        shutil.copy(debian_fashion / f"{NAMES[role]}.gz", usb)
    code, out, _ = _main(capsys, "fetch-data", "--dataset", "fashion_mnist", "--from", str(usb))
    assert code == 1 and "Keras's loader needs all four" in out


def test_a_new_import_replaces_the_old_files(keras_home, tmp_path, t10k):
    _synthetic_set(tmp_path / "full", seed=1)
    (first,) = cli.fetch_data("mnist", source_dir=tmp_path / "full", log=None)
    target = keras_home / "datasets" / "mnist"
    assert first.status == "imported" and len(list(target.iterdir())) == 4
    (second,) = cli.fetch_data("mnist", source_dir=t10k, log=None)
    assert second.status == "imported"
    # the old train files would have been mixed with the new test files
    assert sorted(p.name for p in target.iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def test_uncompressed_files_are_gzipped_on_the_way(keras_home, tmp_path):
    _synthetic_set(tmp_path / "usb", seed=2)
    for path in (tmp_path / "usb").iterdir():
        path.with_suffix("").write_bytes(gzip.decompress(path.read_bytes()))
        path.unlink()
    (result,) = cli.fetch_data("mnist", source_dir=tmp_path / "usb", log=None)
    assert result.status == "imported"
    for name in NAMES.values():
        cached = keras_home / "datasets" / "mnist" / f"{name}.gz"
        assert gzip.decompress(cached.read_bytes()) == (tmp_path / "usb" / name).read_bytes()


def _tiny_npz(path: Path, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    np.savez(path, x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 6, dtype=np.uint8),
             x_test=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 4, dtype=np.uint8))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_only_the_official_npz_goes_into_keras_cache(keras_home, tmp_path, monkeypatch):
    usb = tmp_path / "usb"
    usb.mkdir()
    digest = _tiny_npz(usb / "mnist.npz")
    (refused,) = cli.fetch_data("mnist", source_dir=usb, log=None)
    assert refused.status == "failed" and "not Keras's official mnist.npz" in refused.detail
    assert not (keras_home / "datasets" / "mnist.npz").exists()
    # the same file, were it the official one
    monkeypatch.setattr(data, "KERAS_MNIST_NPZ_SHA256", digest)
    (copied,) = cli.fetch_data("mnist", source_dir=usb, log=None)
    assert (copied.status, copied.path) == ("imported", keras_home / "datasets" / "mnist.npz")
    assert copied.path.read_bytes() == (usb / "mnist.npz").read_bytes()
    assert oct(copied.path.stat().st_mode & 0o044) == oct(0o044)  # readable like Keras's files
    # with the official npz in the cache, IDX files would never be read
    _synthetic_set(tmp_path / "idx", seed=3)
    (skipped,) = cli.fetch_data("mnist", source_dir=tmp_path / "idx", log=None)
    assert skipped.status == "already there"
    assert not (keras_home / "datasets" / "mnist").exists()


def test_download_failure_offline_points_to_the_usb_route(capsys, monkeypatch):
    def offline(spec):
        raise Exception(f"URL fetch failure on {doctor.KERAS_DATA_URL}: no route to host")

    monkeypatch.setattr(data, "_download_with_keras", offline)
    code, out, _ = _main(capsys, "fetch-data", "--dataset", "mnist")
    assert code == 1
    assert "the download failed (URL fetch failure" in out
    assert "fetch-data --dataset mnist --from FOLDER" in out


def test_download_is_verified_then_kept(capsys, monkeypatch, keras_home, debian_fashion):
    calls = []

    def keras_download(spec):  # what Keras does: the four .gz files into its cache
        calls.append(spec.name)
        target = keras_home / "datasets" / "fashion-mnist"
        target.mkdir(parents=True)
        for name in NAMES.values():
            shutil.copy(debian_fashion / f"{name}.gz", target)

    monkeypatch.setattr(data, "_download_with_keras", keras_download)
    code, out, _ = _main(capsys, "fetch-data", "--dataset", "fashion_mnist")
    assert code == 0 and "Fashion-MNIST: downloaded: verified in" in out
    code, out, _ = _main(capsys, "fetch-data", "--dataset", "fashion_mnist")
    assert code == 0 and "Fashion-MNIST: already there" in out
    assert calls == ["fashion_mnist"]


def test_a_damaged_download_is_reported(monkeypatch, keras_home):
    def bad_download(spec):
        _synthetic_set(keras_home / "datasets" / "fashion-mnist", seed=4)
        (keras_home / "datasets" / "fashion-mnist" / f"{NAMES['test_labels']}.gz").write_bytes(
            b"not gzip")

    monkeypatch.setattr(data, "_download_with_keras", bad_download)
    (result,) = cli.fetch_data("fashion_mnist", log=None)
    assert result.status == "failed" and "does not pass the checks" in result.detail


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"dataset": "cifar10"}, ValueError, "dataset="),
        ({"dataset": None}, ValueError, "dataset="),
        ({"source_dir": 5}, TypeError, "source_dir="),
        ({"source_dir": "/no/such/usb"}, FileNotFoundError, "source_dir="),
        ({"log": "print"}, TypeError, "log="),
    ],
)
def test_fetch_data_checks_its_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        cli.fetch_data(**kwargs)


def test_keras_cache_mnist_folder_needs_a_whole_set(keras_home, tmp_path):
    """data.py reads IDX files imported into datasets/mnist/, never half a set."""
    folder = keras_home / "datasets" / "mnist"
    _synthetic_set(folder, seed=5)
    (folder / f"{NAMES['test_images']}.gz").unlink()
    assert data.data_source("mnist").kind == "download"
    _synthetic_set(folder, seed=5)
    source = data.data_source("mnist")
    assert (source.kind, source.path, source.test_split) == ("keras-cache", folder, False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a whole set: no split warning
        (x_train, _), (x_test, _) = data.load_mnist()
    assert (len(x_train), len(x_test)) == (6, 4)


# --- run ------------------------------------------------------------------------------


def _notebook(path: Path, *sources: str) -> Path:
    cells = [new_markdown_cell(f"# {path.stem}")] + [new_code_cell(s) for s in sources]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": kernelspec}), path)
    return path


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    """One `run` over a tiny notebook, a broken one and lesson 02 (the real thing)."""
    folder = tmp_path_factory.mktemp("notebooks")
    tiny = _notebook(folder / "tiny.ipynb", "import os\nprint(os.getcwd())",
                     "ballast = b\"x\" * (200 * 1024**2)  # written, so resident: 200 MiB")
    broken = _notebook(folder / "broken.ipynb", "a = 1",
                       "# the error comes here\n1 / 0", "print('never runs')")
    lesson = LESSONS / "02_the_low_level_api.ipynb"
    before = lesson.read_bytes()
    output = tmp_path_factory.mktemp("rehearsal")
    environ = {k: v for k, v in os.environ.items() if k != "TFCOURSE_DATA_DIR"}
    environ.update(KERAS_HOME=str(tmp_path_factory.mktemp("keras-home")), TFCOURSE_DEVICE="cpu")
    if SHARED_T10K.is_dir():
        environ["TFCOURSE_DATA_DIR"] = str(SHARED_T10K)
    done = subprocess.run(
        [sys.executable, "-m", "tfcourse", "run", str(tiny), str(broken), "2",
         "--output", str(output), "--timeout", "300"],
        capture_output=True, text=True, env=environ, timeout=600,
    )
    return types.SimpleNamespace(done=done, output=output, tiny=tiny, broken=broken,
                                 lesson=lesson, lesson_before=before)


def _summary(stdout: str) -> dict[str, list[str]]:
    rows = {}
    for line in stdout.splitlines():
        match = re.match(r"^(\S+\.ipynb)\s{2,}(ok|failed|timeout|kernel died)\s{2,}"
                         r"([\d.]+) s\s{2,}([\d.]+) GiB$", line)
        if match:
            rows[match[1]] = [match[2], float(match[3]), float(match[4])]
    return rows


def test_run_summary_has_each_lesson_with_time_and_memory(rehearsal):
    done = rehearsal.done
    assert done.returncode == 1, done.stdout + done.stderr  # the broken notebook
    rows = _summary(done.stdout)
    assert list(rows) == ["tiny.ipynb", "broken.ipynb", "02_the_low_level_api.ipynb"]
    assert [row[0] for row in rows.values()] == ["ok", "failed", "ok"]
    tiny_peak, lesson_peak = rows["tiny.ipynb"][2], rows["02_the_low_level_api.ipynb"][2]
    assert tiny_peak >= 200 / 1024  # the 200 MiB it allocated
    assert lesson_peak > 0.3  # TensorFlow alone takes about half a GiB
    assert "2 of 3 lessons ran without error." in done.stdout


def test_run_names_the_failing_cell_and_error(rehearsal):
    out = rehearsal.done.stdout
    assert ("broken.ipynb failed at cell 2 ('# the error comes here'): "
            "ZeroDivisionError: division by zero") in out
    executed = nbformat.read(rehearsal.output / "broken.ipynb", as_version=4)
    assert executed.cells[2].outputs[0]["ename"] == "ZeroDivisionError"
    assert executed.cells[3].outputs == []  # stopped at the error


def test_run_prints_a_progress_line_per_cell(rehearsal):
    out = rehearsal.done.stdout
    assert "\ntiny.ipynb: 2 code cells\n" in out
    assert re.search(r"\[##########-{10}\]   1/2  cell 1 .* ok\n", out)
    assert re.search(r"\[#{20}\]   2/2  cell 2 .* ok\n", out)
    assert re.search(r"\]   2/3  cell 2 .* ERROR\n", out)


def test_run_writes_executed_copies_and_pages_never_over_the_sources(rehearsal):
    output = rehearsal.output
    for stem in ("tiny", "broken", "02_the_low_level_api"):
        assert (output / f"{stem}.ipynb").is_file()
        page = (output / f"{stem}.html").read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>")
    assert "ZeroDivisionError" in (output / "broken.html").read_text(encoding="utf-8")
    assert rehearsal.lesson.read_bytes() == rehearsal.lesson_before
    tiny = nbformat.read(output / "tiny.ipynb", as_version=4)
    # the kernel ran in the notebook's own folder
    assert tiny.cells[1].outputs[0]["text"].strip() == str(rehearsal.tiny.parent)
    lesson = nbformat.read(output / "02_the_low_level_api.ipynb", as_version=4)
    code = [cell for cell in lesson.cells if cell.cell_type == "code" and cell.source.strip()]
    assert all(cell.execution_count for cell in code)
    assert not any(o.get("output_type") == "error" for cell in code for o in cell.outputs)


def test_run_keep_going_runs_past_an_error_and_still_fails(tmp_path, capsys):
    notebook = _notebook(tmp_path / "two_errors.ipynb", "raise KeyError('first')",
                         "print('after')", "raise ValueError('second')")
    runs = cli.run_lessons([notebook], output_dir=tmp_path / "out", keep_going=True, log=None)
    (run,) = runs
    assert (run.status, run.failed_cell, run.failed_source) == (
        "failed", 1, "raise KeyError('first')")
    assert run.error.startswith("KeyError: 'first'")
    executed = nbformat.read(run.executed, as_version=4)
    assert executed.cells[2].outputs[0]["text"] == "after\n"


def test_run_timeout_stops_the_cell(tmp_path):
    notebook = _notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(60)")
    (run,) = cli.run_lessons([notebook], output_dir=tmp_path / "out", timeout=2, log=None)
    assert (run.status, run.failed_cell) == ("timeout", 1)
    assert run.seconds < 30


def test_lessons_are_named_by_number_file_name_or_path():
    folder = LESSONS
    lesson = folder / "02_the_low_level_api.ipynb"
    for text in ("2", "02", "02_the_low_level_api.ipynb", "02_the_low_level_api", str(lesson)):
        assert run_module._resolve_lesson(text, folder) == lesson.resolve()
    assert course.lesson_files(folder)[0].name.startswith("01_")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"timeout": 0}, ValueError, "timeout="),
        ({"timeout": -1.5}, ValueError, "timeout="),
        ({"timeout": "60"}, TypeError, "timeout="),
        ({"timeout": True}, TypeError, "timeout="),
        ({"timeout": float("inf")}, ValueError, "timeout="),
        ({"lessons": "3"}, TypeError, "Use \\[3\\] for one lesson"),
        ({"lessons": [3.5]}, TypeError, "lessons="),
        ({"lessons": [2], "output_dir": 7}, TypeError, "output_dir="),
        ({"lessons": [2], "output_dir": LESSONS}, ValueError, "lessons' own folder"),
        ({"lessons": [2], "keep_going": "yes"}, TypeError, "keep_going="),
        ({"lessons": [2], "log": 1}, TypeError, "log="),
    ],
)
def test_run_lessons_checks_its_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        cli.run_lessons(**kwargs)
