"""env.py: device modes, placement checks, version checks and the report."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from tfcourse import env


def test_device_mode_reads_the_environment(monkeypatch):
    monkeypatch.setenv("TFCOURSE_DEVICE", "CPU")
    assert env.device_mode() == "cpu"
    monkeypatch.delenv("TFCOURSE_DEVICE")
    assert env.device_mode() == "auto"
    assert env.device_mode("gpu") == "gpu"


def test_unknown_device_mode_says_what_is_allowed(monkeypatch):
    monkeypatch.setenv("TFCOURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match=r"one of 'auto', 'cpu', 'gpu'.*TFCOURSE_DEVICE=.*tpu"):
        env.device_mode()
    with pytest.raises(ValueError, match="Received: mode="):
        env.setup_device("fast")


def _run(code: str, **extra_env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("TFCOURSE_DEVICE", "CUDA_VISIBLE_DEVICES")}
    environ.update(extra_env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ)


def test_cpu_mode_hides_gpus_before_tensorflow_starts():
    done = _run(
        "import os, tfcourse as tfc\n"
        "print(tfc.setup_device())\n"
        "print(os.environ['CUDA_VISIBLE_DEVICES'])\n"
        "import tensorflow as tf\n"
        "print(len(tf.config.list_logical_devices('GPU')))\n",
        TFCOURSE_DEVICE="cpu",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["/CPU:0", "-1", "0"]


def test_setup_device_keeps_tensorflow_start_up_lines_out_of_stderr():
    done = _run("import tfcourse as tfc; tfc.setup_device(); import tensorflow as tf; tf.constant(1)")
    assert done.returncode == 0, done.stderr
    assert "absl::InitializeLog" not in done.stderr and "cuda" not in done.stderr.lower(), done.stderr


def test_gpu_mode_without_a_gpu_fails_fast_with_the_fix():
    # These machines have no GPU; on a GPU machine this test has nothing to show.
    done = _run("import tfcourse as tfc; tfc.setup_device()", TFCOURSE_DEVICE="gpu")
    if done.returncode == 0:
        pytest.skip("a GPU is visible here, so GPU mode rightly succeeds")
    assert "RuntimeError" in done.stderr
    assert "TFCOURSE_DEVICE=gpu was asked for, but TensorFlow sees no GPU" in done.stderr


def test_no_gpu_message_names_the_fix_for_each_build():
    cpu_build = env.no_gpu_message({"is_cuda_build": False})
    assert "CPU-only build" in cpu_build and "tensorflow[and-cuda]" in cpu_build
    cuda_build = env.no_gpu_message({"is_cuda_build": True})
    assert "nvidia-smi" in cuda_build and "CPU-only" not in cuda_build


def test_check_placement_accepts_tensors_and_both_kinds_of_variable():
    env.setup_device()
    import keras
    import tensorflow as tf

    where = "GPU" if tf.config.list_logical_devices("GPU") and env.device_mode() != "cpu" else "CPU"
    assert env.check_placement(tf.constant([1.0])) == where
    assert env.check_placement(tf.Variable(1.0)) == where
    assert env.check_placement(keras.Variable(1.0)) == where
    with tf.device("/CPU:0"):
        on_cpu = tf.constant(2.0)
    assert env.check_placement(on_cpu, "cpu") == "CPU"
    with pytest.raises(RuntimeError, match="Expected the work on a GPU, but this value lives on a CPU"):
        env.check_placement(on_cpu, "GPU")


def test_check_placement_refuses_values_without_a_device():
    with pytest.raises(TypeError, match="Expected a TensorFlow tensor.*Received: tensor_or_variable=\\[1, 2\\]"):
        env.check_placement([1, 2])


def test_check_versions_passes_new_releases_and_names_the_fix_for_old_ones():
    line = env.check_versions({"tensorflow": "2.21.0", "keras": "3.15.1"})
    assert line.startswith("TensorFlow 2.21.0 · Keras 3.15.1 · Python ")
    with pytest.warns(env.UntestedVersionWarning, match=r"tensorflow 2.16.0rc1 \(the course is checked with 2.21.x\)"):
        assert env.check_versions({"tensorflow": "2.16.0rc1", "keras": "3.0.0"})
    with pytest.raises(RuntimeError, match=r"tensorflow >= 2.16; found 2.15.1.*pip install -r requirements.txt"):
        env.check_versions({"tensorflow": "2.15.1", "keras": "3.0.0"})
    with pytest.raises(RuntimeError, match="keras >= 3.0; found 2.15.0"):
        env.check_versions({"tensorflow": "2.16.1", "keras": "2.15.0"})
    with pytest.raises(RuntimeError, match="found not installed"):
        env.check_versions({"keras": "3.1"})
    with pytest.raises(TypeError, match="Expected a dict"):
        env.check_versions(["tensorflow"])
    assert env.check_versions().startswith("TensorFlow 2.")


def test_environment_report_lists_versions_data_and_memory_without_tensorflow():
    report = env.environment_report(include_devices=False)
    assert list(report.sections) == ["Versions", "Data", "Memory"]
    names = [k for k, _ in report.sections["Versions"]]
    assert names[0] == "Python" and "tensorflow" in names and "ipywidgets" in names
    assert dict(report.sections["Versions"])["tfcourse"] != "not installed"
    assert {k for k, _ in report.sections["Data"]} == {"mnist", "fashion_mnist"}
    text = report.to_text()
    assert text.splitlines()[0] == "Versions" and "available" in text
    html = report._repr_html_()
    assert html.startswith("<table>") and html.count("<th") == 3


def test_environment_report_with_devices_lists_the_cpu():
    report = env.environment_report()
    devices = dict(report.sections["Devices"])
    assert "CPU" in devices and devices["mode"].startswith(env.device_mode())
    assert devices["TensorFlow build"] in {"CUDA", "ROCm", "CPU only"}


def test_environment_report_checks_its_argument():
    with pytest.raises(TypeError, match="Expected True or False"):
        env.environment_report(include_devices="yes")


def test_force_cpu_after_start_is_a_no_op_without_gpus():
    done = _run("import tensorflow as tf, tfcourse as tfc; tf.constant(1); tfc.force_cpu(); print('ok')")
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_environment_report_shows_an_unusable_data_folder_instead_of_failing(monkeypatch, tmp_path):
    monkeypatch.setenv("TFCOURSE_DATA_DIR", str(tmp_path / "missing"))
    rows = dict(env.environment_report(include_devices=False).sections["Data"])
    assert rows["mnist"].startswith("unavailable: ") and "does not exist" in rows["mnist"]


def test_check_versions_accepts_every_build_of_tensorflow(monkeypatch):
    # Binder installs tensorflow-cpu: the import package is tensorflow, the
    # distribution is not. Every Setup cell must still pass there.
    real_version = env.metadata.version

    def binder_like(name):
        if name == "tensorflow":
            raise env.metadata.PackageNotFoundError(name)
        return "2.21.0" if name == "tensorflow-cpu" else real_version(name)

    monkeypatch.setattr(env.metadata, "version", binder_like)
    assert env.installed_distribution("tensorflow") == ("tensorflow-cpu", "2.21.0")
    assert env.package_version("tensorflow") == "2.21.0"
    assert env.check_versions().startswith("TensorFlow 2.21.0 · Keras 3.")
    assert dict(env.environment_report(include_devices=False).sections["Versions"])[
        "tensorflow"] == "2.21.0"


def test_check_versions_fails_when_no_build_of_tensorflow_is_installed(monkeypatch):
    real_version = env.metadata.version

    def without_tensorflow(name):
        if name in env.PACKAGE_ALIASES["tensorflow"]:
            raise env.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(env.metadata, "version", without_tensorflow)
    with pytest.raises(RuntimeError, match="tensorflow >= 2.16; found not installed"):
        env.check_versions()


def test_setup_device_turns_tf32_off_and_asks_for_memory_growth():
    # Both matter on a GPU only, but the choices are made on every machine.
    done = _run(
        "import os, tfcourse as tfc\n"
        "tfc.setup_device()\n"
        "import tensorflow as tf\n"
        "print(tf.config.experimental.tensor_float_32_execution_enabled())\n"
        "print(os.environ['TF_FORCE_GPU_ALLOW_GROWTH'])\n",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "true"]


@pytest.mark.parametrize(("system", "words"), [
    ("Linux", 'pip install "tensorflow[and-cuda]~=2.21.0"'),
    ("Windows", "WSL2"),
    ("Darwin", "tensorflow-metal"),
])
def test_the_gpu_install_hint_fits_the_system(system, words):
    assert words in env.gpu_install_hint(system)
    assert words in env.no_gpu_message({"is_cuda_build": False}, system)


def test_memory_is_the_containers_when_it_has_a_limit(monkeypatch):
    # Binder: a 64 GiB host, a 2 GiB container of which 1.5 GiB is used.
    psutil = pytest.importorskip("psutil")
    gib = 1024**3
    monkeypatch.setattr(psutil, "virtual_memory",
                        lambda: types.SimpleNamespace(total=64 * gib, available=60 * gib))
    monkeypatch.setattr(env, "_cgroup_memory", lambda: (2 * gib, int(1.5 * gib)))
    assert env.memory_status() == env.MemoryStatus(2 * gib, gib // 2, "this container")
    rows = dict(env.environment_report(include_devices=False).sections["Memory"])
    assert rows == {"total": "2.0 GiB (this container)", "available": "0.5 GiB"}
    monkeypatch.setattr(env, "_cgroup_memory", lambda: None)  # no container: the host's RAM
    assert env.memory_status() == env.MemoryStatus(64 * gib, 60 * gib, "this machine")


def test_versions_are_compared_as_pep_440_releases():
    assert env.check_versions({"tensorflow": "2.21.0+cpu", "keras": "3.15.0.dev2026"})
    with pytest.raises(RuntimeError, match="keras >= 3.0; found not-a-version 3"):
        env.check_versions({"tensorflow": "2.21.0", "keras": "not-a-version 3"})
    with pytest.warns(env.UntestedVersionWarning, match="keras 3 "):
        env.check_versions({"tensorflow": "2.21.0", "keras": "3"})


def test_process_tree_memory_counts_children_once_each(tmp_path):
    # A child that holds 100 MiB: the tree's summed PSS grows by about that much,
    # and shared pages are split, so the sum stays below the summed RSS.
    import psutil

    before = env.process_tree_memory(os.getpid())
    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c",
                              f"b = b'x' * (100 * 1024**2); open({str(ready)!r}, 'w'); "
                              "import time; time.sleep(30)"])
    try:
        import time

        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        during = env.process_tree_memory(os.getpid())
        rss = sum(p.memory_info().rss for p in [psutil.Process(), *psutil.Process().children(recursive=True)])
    finally:
        child.kill()
        child.wait()
    assert during - before >= 90 * 1024**2
    assert during <= rss
    assert env.process_tree_memory(child.pid) is None  # gone


def test_a_newer_tensorflow_warns_and_the_lesson_goes_on():
    # Colab's TensorFlow may be newer than the pins: a warning, no error.
    with pytest.warns(env.UntestedVersionWarning, match="tensorflow 2.23.0.*should run"):
        line = env.check_versions({"tensorflow": "2.23.0", "keras": "3.15.1"})
    assert line.startswith("TensorFlow 2.23.0")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the pinned releases: not a word
        env.check_versions({"tensorflow": "2.21.3", "keras": "3.15.0"})


def test_on_colab_the_fix_is_a_pip_line_and_a_restart(monkeypatch):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    with pytest.raises(RuntimeError, match=r'!pip install -q "tensorflow~=2.21.0".*Restart session'):
        env.check_versions({"tensorflow": "2.15.0", "keras": "3.0.0"})


def test_the_tested_versions_are_the_pinned_ones():
    from pathlib import Path

    pins = (Path(__file__).resolve().parents[1] / "requirements.txt").read_text()
    for name, (major, minor) in env.TESTED_VERSIONS.items():
        assert f"{name}~={major}.{minor}.0" in pins, name
