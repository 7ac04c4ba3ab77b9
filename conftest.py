"""Test-wide set-up: the CPU/GPU mode and the offline data, before any kernel starts.

Notebook kernels started by nbval inherit this process's environment, so what
is set here reaches every lesson too.

    pytest                     # default mode "auto": whatever TensorFlow finds
    pytest --device cpu        # hide GPUs (same as TFCOURSE_DEVICE=cpu)
    pytest --device gpu        # fail at once unless TensorFlow sees a GPU
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
# The real MNIST test set that this project's CI machines keep beside the checkout.
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist-t10k"
SCRATCH = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--device",
        choices=("auto", "cpu", "gpu"),
        default=os.environ.get("TFCOURSE_DEVICE", "auto") or "auto",
        help="where TensorFlow runs: auto (default; or $TFCOURSE_DEVICE), cpu, or gpu",
    )


def _visible_gpus() -> int:
    # A child process, so this pytest process never starts TensorFlow on the GPU.
    code = "import tensorflow as tf; print(len(tf.config.list_physical_devices('GPU')))"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise pytest.UsageError(f"--device gpu: TensorFlow failed to start:\n{done.stderr[-2000:]}")
    return int(done.stdout.strip().splitlines()[-1])


def pytest_configure(config: pytest.Config) -> None:
    # What the run leaves in the temporary folder (TensorFlow's autograph files,
    # a lesson kernel's folders when nbval kills the kernel rather than letting
    # it exit) goes to a folder of the run's own, removed at the end: the
    # machine's /tmp is left as it was found. Lesson kernels inherit it.
    scratch = tempfile.mkdtemp(prefix="pytest-scratch-")
    config.stash[SCRATCH] = scratch
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = scratch
    mode = config.getoption("--device")
    os.environ["TFCOURSE_DEVICE"] = mode
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # On a GPU: every process of the run (this one, each lesson's kernel, the
    # workers they start) takes GPU memory as it needs it instead of nearly all
    # of it at its first operation, so the unit tests before the lessons leave
    # the card free for them. And float32 stays float32: NVIDIA's libraries
    # round matmul and convolution inputs to TensorFloat-32 by default on Ampere
    # and newer, which breaks the lessons' 1e-5 comparisons (setup_device turns
    # it off in TensorFlow; this covers a process that never calls it).
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("NVIDIA_TF32_OVERRIDE", "0")
    if mode == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    elif mode == "gpu" and _visible_gpus() == 0:
        from tfcourse.env import no_gpu_message

        # Build info of the installed TensorFlow, read without starting a device.
        raise pytest.UsageError("--device gpu: " + no_gpu_message(_build_info()))
    if "TFCOURSE_DATA_DIR" not in os.environ and SHARED_MNIST.is_dir():
        os.environ["TFCOURSE_DATA_DIR"] = str(SHARED_MNIST)
    # Draw off-screen in this process only: notebook kernels keep their inline
    # backend, so the lessons' figures are really rendered under nbval.
    import matplotlib

    matplotlib.use("Agg")


def pytest_unconfigure(config: pytest.Config) -> None:
    scratch = config.stash.get(SCRATCH, None)
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)


def _build_info() -> dict:
    code = "import tensorflow as tf, json; print(json.dumps(dict(tf.sysconfig.get_build_info())))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    import json

    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {}


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"tfcourse device mode: {os.environ.get('TFCOURSE_DEVICE')}",
        f"tfcourse data dir: {os.environ.get('TFCOURSE_DATA_DIR', '(Keras cache/download)')}",
    ]
