"""The pytest --device option: cpu hides GPUs from the lessons' kernels, gpu fails fast."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pytest(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    # A tiny test file of its own, run under the project's conftest.py.
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "import os\n"
        "def test_probe():\n"
        "    print('MODE', os.environ['TFCOURSE_DEVICE'], os.environ.get('CUDA_VISIBLE_DEVICES'))\n"
    )
    environ = {k: v for k, v in os.environ.items() if k not in ("TFCOURSE_DEVICE", "CUDA_VISIBLE_DEVICES")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-s", "-q",
         # the probe lives outside the repo, so load the project conftest as a plugin
         "-p", "conftest", "-c", str(ROOT / "pyproject.toml"),
         *args, str(probe)],
        capture_output=True, text=True, cwd=ROOT, env=environ,
    )


def test_cpu_mode_reaches_every_kernel_through_the_environment(tmp_path):
    done = _pytest("--device", "cpu", tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "MODE cpu -1" in done.stdout


def test_default_mode_is_auto_and_hides_nothing(tmp_path):
    done = _pytest(tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "MODE auto None" in done.stdout


def test_gpu_mode_without_a_gpu_stops_before_any_test(tmp_path):
    done = _pytest("--device", "gpu", tmp_path=tmp_path)
    if done.returncode == 0:
        pytest.skip("a GPU is visible here, so GPU mode rightly runs")
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    assert "TensorFlow sees no GPU" in done.stderr and "MODE" not in done.stdout
