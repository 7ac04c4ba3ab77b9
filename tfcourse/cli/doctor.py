"""``tfcourse doctor``: will the lessons run here? A pass/fail table, each failure with its fix.

    python -m tfcourse doctor                   # everything
    python -m tfcourse doctor --no-network --skip-tensorflow   # a second, fast

It checks Python, the versions pinned in ``requirements.txt``, that
TensorFlow starts and computes (in a child process: a crash there cannot take
the doctor down; with a GPU, that XLA compiles on it), the JupyterLab
extensions the widgets need, the data sets (read and verified, or reachable
for download) and the memory free for a kernel. Exit status 1 when a check
fails. :func:`check_environment` returns the rows for use from Python.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from tfcourse import data
from tfcourse._validation import check_path, expected
from tfcourse.cli._command import Log, UsageError, format_table
from tfcourse.cli.course import DATASETS, default_requirements
from tfcourse.env import gpu_install_hint, installed_distribution, memory_status

__all__ = ["Check", "check_environment"]

# The Python the course is tested with (README, binder/runtime.txt).
TESTED_PYTHON = (3, 11)
# Under this much free memory a training lesson may be killed (Binder gives 2 GB).
MEMORY_WARN_BYTES = 2 * 1024**3
# A check of the download site must answer fast when the machine is offline.
NETWORK_TIMEOUT_S = 3.0
TENSORFLOW_TIMEOUT_S = 180.0

# Where Keras downloads the data sets from (keras/src/datasets/*.py).
KERAS_DATA_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DOWNLOAD_PROBES = {
    "mnist": KERAS_DATA_URL + "mnist.npz",
    "fashion_mnist": KERAS_DATA_URL + "t10k-labels-idx1-ubyte.gz",
}

# JupyterLab frontend extensions the lessons' widgets need: folder -> the
# Python package that installs it.
LAB_EXTENSIONS = {
    "@jupyter-widgets/jupyterlab-manager": "jupyterlab_widgets",
    "ipycanvas": "ipycanvas",
}

PASS, WARN, FAIL, INFO = "PASS", "WARN", "FAIL", "INFO"


@dataclass(frozen=True)
class Check:
    """One line of ``doctor``'s table: PASS, WARN, FAIL or INFO, and the fix."""

    status: str
    name: str
    found: str
    fix: str = ""


@dataclass(frozen=True)
class _Pin:
    name: str
    specifier: str
    test_only: bool


def _read_pins(path: Path) -> list[_Pin]:
    """The version pins of a requirements file; "# --- Tests" groups are test-only."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    pins, group = [], ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("# ---"):
            group = line.strip("# -").lower()
            continue
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):  # comments, -e ., -r other.txt
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as err:
            raise ValueError(
                f"{path}, line {number}: {line!r} is not a requirement ({err})."
            ) from err
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        test_only = group.startswith("test")  # the "# --- Tests: ..." group
        pins.append(_Pin(canonicalize_name(requirement.name), str(requirement.specifier), test_only))
    return pins


def _python_check() -> Check:
    from packaging.specifiers import SpecifierSet

    version = platform.python_version()
    try:
        requires = metadata.metadata("tfcourse").get("Requires-Python") or ""
    except metadata.PackageNotFoundError:
        requires = ""
    tested = ".".join(map(str, TESTED_PYTHON))
    if requires and not SpecifierSet(requires).contains(version, prereleases=True):
        return Check(FAIL, "Python", f"{version} (tfcourse needs {requires})",
                     f"Install Python {tested} and make a fresh virtual environment.")
    if sys.version_info[:2] != TESTED_PYTHON:
        return Check(WARN, "Python", f"{version} (the course is tested with {tested})",
                     f"Python {tested} is the safe choice; others usually work.")
    return Check(PASS, "Python", version)


def _package_checks(requirements: Path | None) -> list[Check]:
    if requirements is None:
        return [Check(WARN, "package versions", "requirements.txt not found: pins not checked",
                      "Run the doctor from the course folder, or pass --requirements FILE.")]
    try:
        from packaging.specifiers import SpecifierSet

        pins = _read_pins(requirements)
    except ImportError:
        return [Check(FAIL, "package versions", "the 'packaging' package is missing",
                      "pip install -r requirements.txt")]
    except (OSError, ValueError) as err:
        return [Check(FAIL, "package versions", f"{requirements} cannot be read",
                      f"Repair it: {err}")]
    fix = f"pip install -r {requirements.name} (in the course folder), then restart JupyterLab."
    checks = []
    for pin in pins:
        found = installed_distribution(pin.name)
        wanted = pin.specifier or "any version"
        if found is None:
            if pin.test_only:
                checks.append(Check(INFO, pin.name, "not installed (only the tests need it)"))
            else:
                checks.append(Check(FAIL, pin.name, f"not installed (need {wanted})", fix))
            continue
        distribution, version = found
        label = version if distribution == pin.name else f"{version} ({distribution})"
        if SpecifierSet(pin.specifier).contains(version, prereleases=True):
            checks.append(Check(PASS, pin.name, f"{label}, pinned {wanted}"))
        else:
            status = WARN if pin.test_only else FAIL
            checks.append(Check(status, pin.name, f"{label}, but the course pins {wanted}", fix))
    return checks


_TENSORFLOW_PROBE = """
import json, time
started = time.perf_counter()
from tfcourse.env import setup_device, device_mode
device = setup_device()
import tensorflow as tf
total = float(tf.reduce_sum(tf.ones((2, 2))))
# With a GPU, compile one small function with XLA on it, as lessons 03 and 06
# do: a CUDA install without ptxas or libdevice fails only here.
xla_gpu_error = None
if device.startswith("/GPU"):
    try:
        with tf.device(device):
            doubled = tf.function(lambda x: 2.0 * x, jit_compile=True)(tf.ones((4,)))
        assert float(tf.reduce_sum(doubled)) == 8.0, "XLA computed a wrong sum"
    except Exception as err:  # reported, with its fix, by the doctor
        xla_gpu_error = f"{type(err).__name__}: {err}"[-600:]
print(json.dumps({
    "version": tf.__version__,
    "device": device,
    "mode": device_mode(),
    "devices": [d.name.replace("/physical_device:", "") for d in tf.config.list_physical_devices()],
    "sum": total,
    "seconds": time.perf_counter() - started,
    "xla_gpu_error": xla_gpu_error,
}))
"""


def _tensorflow_checks() -> list[Check]:
    """Start TensorFlow the way a lesson's Setup cell does, in a child process."""
    import json

    fix = "pip install -r requirements.txt, then run the doctor again."
    environ = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    try:
        done = subprocess.run(
            [sys.executable, "-c", _TENSORFLOW_PROBE],
            capture_output=True, text=True, env=environ, timeout=TENSORFLOW_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return [Check(FAIL, "TensorFlow", f"no answer in {TENSORFLOW_TIMEOUT_S:.0f} s",
                      "The machine may be overloaded: close other kernels and try again.")]
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        if done.returncode < 0:
            reason = f"crashed (signal {-done.returncode})"
            fix = ("TensorFlow's wheels need a CPU with AVX; on an old machine use Binder "
                   "or Colab instead.")
        else:
            reason = lines[-1] if lines else f"exit status {done.returncode}"
            if "TFCOURSE_DEVICE=gpu" in reason:
                fix = "Unset TFCOURSE_DEVICE (or set it to cpu), or fix the GPU set-up."
        return [Check(FAIL, "TensorFlow", f"does not start: {reason}", fix)]
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return [Check(FAIL, "TensorFlow", f"unreadable answer: {done.stdout[-200:]!r}", fix)]
    if report["sum"] != 4.0:
        return [Check(FAIL, "TensorFlow", f"computes 1+1+1+1 = {report['sum']}", fix)]
    checks = [
        Check(PASS, "TensorFlow", f"{report['version']} starts and computes "
              f"({report['seconds']:.1f} s)"),
        Check(INFO, "devices", f"{', '.join(report['devices'])}; lessons run on "
              f"{report['device']} (TFCOURSE_DEVICE mode {report['mode']})"),
    ]
    xla = _xla_gpu_check(report)
    return checks if xla is None else [*checks, xla]


def _xla_gpu_check(report: dict) -> Check | None:
    """The doctor's row for XLA on the GPU, from the probe's report (None on a CPU)."""
    if not str(report.get("device", "")).startswith("/GPU"):
        return None
    error = report.get("xla_gpu_error")
    if not error:
        return Check(PASS, "XLA on the GPU", "compiles and runs a jit_compile=True function")
    if re.search(r"libdevice|ptxas|nvlink|cuda_data_dir", error, re.I):
        # tensorflow/tensorflow#60790: XLA looks for CUDA's tools beside a CUDA install.
        fix = (f"XLA cannot find CUDA's compiler tools. {gpu_install_hint('Linux')} brings them "
               "(nvidia-cuda-nvcc); with CUDA installed system-wide, point XLA at it: "
               "export XLA_FLAGS=--xla_gpu_cuda_data_dir=/usr/local/cuda")
    else:
        fix = "Lessons 03 and 06 compile with XLA; run them with TFCOURSE_DEVICE=cpu meanwhile."
    return Check(FAIL, "XLA on the GPU", f"fails: {error.splitlines()[-1][:200]}", fix)


def _lab_extension_checks() -> list[Check]:
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return [Check(FAIL, "JupyterLab extensions", "jupyter_core is missing (no JupyterLab)",
                      "pip install -r requirements.txt")]
    folders = [Path(folder) for folder in jupyter_path("labextensions")]
    checks = []
    for extension, package in LAB_EXTENSIONS.items():
        home = next((f for f in folders if (f / extension / "package.json").is_file()), None)
        name = f"lab extension {extension}"
        if home is None:
            checks.append(Check(
                FAIL, name, "not found: widgets would show as text, not controls",
                f"pip install -r requirements.txt (it installs {package}), then restart JupyterLab.",
            ))
            continue
        import json

        try:
            manifest = (home / extension / "package.json").read_text(encoding="utf-8")
            version = json.loads(manifest).get("version", "?")
        except (OSError, ValueError):
            version = "?"
        checks.append(Check(PASS, name, f"{version} in {home}"))
    return checks


def _probe_download(url: str) -> str | None:
    """None when Keras's download site answers, else why not (fast when offline)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=NETWORK_TIMEOUT_S):
            return None
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code}"
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        return str(reason) or type(err).__name__


def _data_checks(*, network: bool) -> list[Check]:
    probes: dict[str, str | None] = {}
    if network:
        with ThreadPoolExecutor(len(DOWNLOAD_PROBES)) as pool:
            probes = dict(zip(DOWNLOAD_PROBES, pool.map(_probe_download, DOWNLOAD_PROBES.values())))
    checks = []
    fetch_fix = ("Bring the files on a USB stick: python -m tfcourse fetch-data --from FOLDER "
                 f"(or set {data.DATA_DIR_ENV} to that folder).")
    for name in DATASETS:
        title = data.dataset_spec(name).title
        try:  # read every file: a damaged or unreadable copy must fail here, not in a lesson
            source = data.verify_data(name)
        except data.DataUnavailableError as err:
            checks.append(Check(FAIL, f"{title} data",
                                f"the folder named by {data.DATA_DIR_ENV} cannot serve it",
                                str(err)))
            continue
        except (data.CorruptDataError, PermissionError) as err:
            checks.append(Check(FAIL, f"{title} data", "damaged or unreadable", str(err)))
            continue
        if source.kind != "download":
            status = WARN if source.test_split else PASS
            fix = ("Scores will differ from the published ones; python -m tfcourse fetch-data "
                   "gets the full set." if source.test_split else "")
            checks.append(Check(status, f"{title} data", f"{source.kind}: {source.detail} (verified)",
                                fix))
        elif not network:
            checks.append(Check(WARN, f"{title} data",
                                "not on this machine; the download site was not checked",
                                "python -m tfcourse fetch-data (once, online)"))
        elif probes[name] is None:
            checks.append(Check(PASS, f"{title} data",
                                f"not here yet; downloads on first use to {source.path}"))
        else:
            checks.append(Check(FAIL, f"{title} data",
                                f"not on this machine and the download fails ({probes[name]})",
                                fetch_fix))
    if network:
        failures = {reason for reason in probes.values() if reason is not None}
        found = "reachable" if not failures else f"unreachable ({'; '.join(sorted(failures))})"
        checks.append(Check(INFO, "download site", f"{KERAS_DATA_URL}: {found}"))
    return checks


def _memory_check() -> Check:
    status = memory_status()
    if status is None:
        return Check(WARN, "memory", "unknown (psutil is not installed)",
                     "pip install -r requirements.txt")
    gib = 1024**3
    found = (f"{status.available / gib:.1f} GiB free of {status.total / gib:.1f} GiB "
             f"({status.scope})")
    if status.available < MEMORY_WARN_BYTES:
        return Check(WARN, "memory", found,
                     "A training lesson's kernel takes up to about 1.6 GiB: shut down the "
                     "other kernels (Kernel > Shut Down All Kernels) before lessons 03-05.")
    return Check(PASS, "memory", found)


def check_environment(
    *,
    requirements: str | os.PathLike[str] | None = None,
    network: bool = True,
    tensorflow: bool = True,
) -> list[Check]:
    """Check what the lessons need, as ``doctor`` does; return the rows of its table.

    ``requirements`` is the pinned requirements file (default: the course's
    ``requirements.txt``); ``network=False`` skips the download-site check;
    ``tensorflow=False`` skips starting TensorFlow (a few seconds).

    Example:
        >>> from tfcourse.cli import check_environment
        >>> rows = check_environment(network=False, tensorflow=False)
        >>> rows[0].name, rows[0].status in ("PASS", "WARN", "FAIL")
        ('Python', True)
    """
    for name, value in (("network", network), ("tensorflow", tensorflow)):
        if not isinstance(value, bool):
            raise TypeError(expected("True or False", name, value))
    if requirements is None:
        path = default_requirements()
    else:
        path = check_path("requirements", requirements, "a requirements file path or None")
        if not path.is_file():
            raise FileNotFoundError(expected("an existing requirements file", "requirements",
                                             requirements))
    checks = [_python_check(), *_package_checks(path)]
    if tensorflow:
        checks.extend(_tensorflow_checks())
    checks.extend(_lab_extension_checks())
    checks.extend(_data_checks(network=network))
    checks.append(_memory_check())
    return checks


def _handle(args: argparse.Namespace, log: Log) -> int:
    if args.requirements is not None and not Path(args.requirements).is_file():
        raise UsageError(f"--requirements {args.requirements}: no such file")
    checks = check_environment(
        requirements=args.requirements, network=not args.no_network,
        tensorflow=not args.skip_tensorflow,
    )
    log(format_table(("status", "check", "found"), [(c.status, c.name, c.found) for c in checks]))
    to_fix = [c for c in checks if c.fix and c.status in (FAIL, WARN)]
    if to_fix:
        log("\nTo fix:")
        for check in to_fix:
            log(f"  {check.status} {check.name}: {check.fix}")
    failures = sum(c.status == FAIL for c in checks)
    warnings_ = sum(c.status == WARN for c in checks)
    verdict = "ready for class" if not failures else "NOT ready"
    log(f"\n{verdict}: {failures} failed, {warnings_} warnings, {len(checks)} checks.")
    return 1 if failures else 0


def add_subcommand(commands: Any) -> argparse.ArgumentParser:
    """Add ``doctor`` to the ``tfcourse`` command line's subcommands."""
    doctor = commands.add_parser(
        "doctor", help="check that this environment can run the lessons",
        description="Check Python, the pinned packages, TensorFlow, the widget extensions, "
                    "the data and the memory; print a pass/fail table with fixes. "
                    "Exit status 1 when a check fails.",
    )
    doctor.add_argument("--requirements", metavar="FILE",
                        help="the pinned requirements file (default: the course's "
                             "requirements.txt)")
    doctor.add_argument("--no-network", action="store_true",
                        help="do not check whether Keras's download site answers")
    doctor.add_argument("--skip-tensorflow", action="store_true",
                        help="do not start TensorFlow (saves a few seconds)")
    doctor.set_defaults(handler=_handle, subparser=doctor)
    return doctor
