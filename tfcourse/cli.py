"""The instructor's command line: ``python -m tfcourse`` (or ``tfcourse``).

    python -m tfcourse doctor          # will the lessons run here? (pass/fail table)
    python -m tfcourse fetch-data      # MNIST and Fashion-MNIST into Keras's cache
    python -m tfcourse fetch-data --from /media/usb/mnist   # a classroom offline
    python -m tfcourse run             # dress rehearsal: every lesson, headless
    python -m tfcourse run 3 05_training_mnist_with_keras.ipynb --timeout 300

``doctor`` exits 1 when a check fails and names the fix; ``fetch-data`` and
``run`` exit 1 when a data set or a lesson fails; bad arguments exit 2 with
the usage. Each command is also a function (:func:`check_environment`,
:func:`fetch_data`, :func:`run_lessons`) that returns what it found.

Nothing here imports TensorFlow into this process except a download by
``fetch-data``: ``doctor`` starts TensorFlow in a child process (a crash there
cannot take the doctor down) and ``run`` starts a Jupyter kernel per lesson.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Sequence

from tfcourse import data
from tfcourse._validation import check_choice, expected
from tfcourse.env import gpu_install_hint, installed_distribution, process_tree_memory

__all__ = [  # noqa: RUF022 (results, then functions)
    "Check",
    "FetchResult",
    "LessonRun",
    "check_environment",
    "fetch_data",
    "run_lessons",
    "main",
]

PROG = "tfcourse"
DATASETS = ("mnist", "fashion_mnist")
DATASET_CHOICES = (*DATASETS, "all")

# The Python the course is tested with (README, binder/runtime.txt).
TESTED_PYTHON = (3, 11)
# Under this much free memory a training lesson may be killed (Binder gives 2 GB).
MEMORY_WARN_BYTES = 2 * 1024**3
# A check of the download site must answer fast when the machine is offline.
NETWORK_TIMEOUT_S = 3.0
TENSORFLOW_TIMEOUT_S = 180.0
DEFAULT_CELL_TIMEOUT_S = 600.0
KERNEL_STARTUP_TIMEOUT_S = 120.0
MEMORY_SAMPLE_EVERY_S = 0.2

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

OUTPUT_DEFAULT = Path("_build") / "rehearsal"
LESSON_PATTERN = re.compile(r"^(\d{2})_\w+\.ipynb$")

PASS, WARN, FAIL, INFO = "PASS", "WARN", "FAIL", "INFO"

Log = Callable[[str], None]


class UsageError(ValueError):
    """A command-line argument that names nothing usable (exit status 2)."""


# --- results -------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One line of ``doctor``'s table: PASS, WARN, FAIL or INFO, and the fix."""

    status: str
    name: str
    found: str
    fix: str = ""


@dataclass(frozen=True)
class FetchResult:
    """What ``fetch-data`` did with one data set.

    ``status`` is "already there", "downloaded", "imported" or "failed";
    ``path`` is where Keras's cache holds it now.
    """

    dataset: str
    status: str
    path: Path | None
    detail: str

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass(frozen=True)
class LessonRun:
    """One lesson of a dress rehearsal: how it went, how long, how much memory.

    ``status`` is "ok", "failed", "timeout" or "kernel died";
    ``failed_cell`` is the index of the cell that stopped it (0-based, as in
    nbclient and nbval) and ``failed_source`` that cell's first line.
    """

    lesson: Path
    status: str
    seconds: float
    peak_memory_bytes: int | None
    executed: Path | None
    html: Path | None
    failed_cell: int | None = None
    failed_source: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# --- where the course is ---------------------------------------------------------


def _course_root() -> Path | None:
    """The folder holding lessons/ and requirements.txt: the checkout tfcourse runs from."""
    package_parent = Path(__file__).resolve().parent.parent
    for candidate in (package_parent, Path.cwd()):
        if (candidate / "lessons").is_dir():
            return candidate
    return None


def _default_requirements() -> Path | None:
    root = _course_root()
    if root is not None and (root / "requirements.txt").is_file():
        return root / "requirements.txt"
    return None


# --- doctor ------------------------------------------------------------------------


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
        title = data._SPECS[name].title
        try:
            source = data.data_source(name)
        except data.DataUnavailableError as err:
            checks.append(Check(FAIL, f"{title} data",
                                f"the folder named by {data.DATA_DIR_ENV} cannot serve it",
                                str(err)))
            continue
        if source.kind != "download":
            try:  # read every file: a damaged copy must fail here, not in a lesson
                data.verify_data(name)
            except (data.CorruptDataError, data.DataUnavailableError, PermissionError) as err:
                checks.append(Check(FAIL, f"{title} data", f"{source.kind}: damaged or unreadable",
                                    str(err)))
                continue
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


def _cgroup_memory() -> tuple[int, int] | None:
    """(limit, usage) of the tightest memory cgroup above this process (Linux)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    best = None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, relative = parts
        if controllers == "":  # cgroup v2
            base, limit_file, usage_file = Path("/sys/fs/cgroup"), "memory.max", "memory.current"
        elif "memory" in controllers.split(","):
            base = Path("/sys/fs/cgroup/memory")
            limit_file, usage_file = "memory.limit_in_bytes", "memory.usage_in_bytes"
        else:
            continue
        folder = base / relative.lstrip("/")
        # limits nest: every folder up to the root may hold a tighter one
        for level in (folder, *folder.parents):
            if not str(level).startswith(str(base)):
                break
            try:
                limit_text = (level / limit_file).read_text().strip()
                usage = int((level / usage_file).read_text().strip())
            except (OSError, ValueError):
                continue
            if not limit_text.isdigit() or int(limit_text) >= 2**60:  # "max" or unlimited
                continue
            limit = int(limit_text)
            if best is None or limit - usage < best[0] - best[1]:
                best = (limit, usage)
    return best


def _memory_check() -> Check:
    try:
        import psutil
    except ImportError:
        return Check(WARN, "memory", "unknown (psutil is not installed)",
                     "pip install -r requirements.txt")
    memory = psutil.virtual_memory()
    total, available = memory.total, memory.available
    where = "this machine"
    cgroup = _cgroup_memory()
    if cgroup is not None and cgroup[0] < total:
        limit, usage = cgroup
        total, available = limit, min(available, max(limit - usage, 0))
        where = "this container"
    gib = 1024**3
    found = f"{available / gib:.1f} GiB free of {total / gib:.1f} GiB ({where})"
    if available < MEMORY_WARN_BYTES:
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
        >>> [row.name for row in rows][:2]
        ['Python', 'tensorflow']
    """
    for name, value in (("network", network), ("tensorflow", tensorflow)):
        if not isinstance(value, bool):
            raise TypeError(expected("True or False", name, value))
    if requirements is None:
        path = _default_requirements()
    else:
        if isinstance(requirements, (bytes, bytearray)) or not isinstance(
            requirements, (str, os.PathLike)
        ):
            raise TypeError(expected("a requirements file path or None", "requirements",
                                     requirements))
        path = Path(requirements)
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


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * width for width in widths]),
                      *(line(row) for row in rows)])


def _doctor(args: argparse.Namespace, log: Log) -> int:
    if args.requirements is not None and not Path(args.requirements).is_file():
        raise UsageError(f"--requirements {args.requirements}: no such file")
    checks = check_environment(
        requirements=args.requirements, network=not args.no_network,
        tensorflow=not args.skip_tensorflow,
    )
    log(_table(("status", "check", "found"), [(c.status, c.name, c.found) for c in checks]))
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


# --- fetch-data ------------------------------------------------------------------------


def _verified_in_cache(name: str) -> Path | None:
    """Where Keras's cache holds the whole official data set, checked; else None."""
    spec = data._SPECS[name]
    plan = data._plan_keras(spec)
    if plan.source.kind != "keras-cache" or plan.source.test_split:
        return None
    try:
        if plan.npz is not None:
            return plan.npz if data._file_digest(plan.npz) == data.KERAS_MNIST_NPZ_SHA256 else None
        data._read_idx_pairs(spec, plan)
    except (data.CorruptDataError, OSError):
        return None
    return plan.source.path


def _download(name: str, log: Log) -> FetchResult:
    from tfcourse._tensorflow import quiet_start as _quiet_start

    spec = data._SPECS[name]
    log(f"{spec.title}: downloading with {spec.keras_module}.load_data() ({spec.download_size})")
    try:
        with _quiet_start():
            data._download_with_keras(spec)
    except Exception as err:  # Keras raises a bare Exception for a failed fetch
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return FetchResult(name, "failed", None,
                           f"the download failed ({reason}). Offline? Copy the files from a "
                           f"USB stick: python -m tfcourse fetch-data --dataset {name} "
                           "--from FOLDER.")
    where = _verified_in_cache(name)
    if where is None:
        return FetchResult(name, "failed", None,
                           f"Keras downloaded it but the copy in {data._keras_datasets_dir()} "
                           "does not pass the checks; delete it and try again.")
    return FetchResult(name, "downloaded", where, f"verified in {where}")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_atomically(source: Path, target: Path, *, gzip_it: bool,
                      check: Callable[[Path], None] | None = None) -> None:
    """Copy ``source`` to ``target`` through a temporary file; ``check`` it before it replaces anything."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out, open(source, "rb") as inp:
            if gzip_it:
                with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as zipped:
                    shutil.copyfileobj(inp, zipped, 1 << 20)
            else:
                shutil.copyfileobj(inp, out, 1 << 20)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; a cache file is not
        if check is not None:
            check(Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _previous(target: Path) -> Path:
    return target.with_name(f".{target.name}.previous")


def _recover_interrupted_swap(target: Path) -> None:
    """Put back the previous copy if an import stopped between its two renames."""
    previous = _previous(target)
    if previous.is_dir() and not target.exists():
        os.rename(previous, target)
    elif previous.is_dir():
        shutil.rmtree(previous, ignore_errors=True)


def _swap_in(staging: Path, target: Path) -> None:
    """Replace the folder ``target`` with ``staging`` (both in the same folder)."""
    previous = _previous(target)
    if target.exists():
        os.rename(target, previous)
    try:
        os.rename(staging, target)
    except BaseException:
        if previous.exists() and not target.exists():
            os.rename(previous, target)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _import(name: str, folder: Path, log: Log) -> FetchResult:
    """Copy a data set from ``folder`` into Keras's cache after checking every file.

    The files are checked where they are, copied into a staging folder beside
    the cache's, checked again there (the source may change or the copy fail),
    and only then swapped in: an import that fails or is interrupted leaves the
    previous copy as it was, and no partial file.
    """
    spec = data._SPECS[name]
    cache = data._keras_datasets_dir()
    try:
        plan = data._plan_folder(spec, folder, f"{data.IMPORT_FROM_PREFIX}{folder}")
        if plan.source.test_split and name == "fashion_mnist":
            return FetchResult(name, "failed", None,
                               f"{plan.source.path} holds only the Fashion-MNIST test files; "
                               "Keras's loader needs all four. Bring the train-*.gz files too, "
                               f"or point {data.DATA_DIR_ENV} at that folder instead.")
        if plan.npz is not None:
            digest = data._file_digest(plan.npz)
            if digest != data.KERAS_MNIST_NPZ_SHA256:
                return FetchResult(name, "failed", None,
                                   f"{plan.npz} is not Keras's official {data.KERAS_MNIST_NPZ} "
                                   f"(SHA-256 {digest[:12]}..., official "
                                   f"{data.KERAS_MNIST_NPZ_SHA256[:12]}...): Keras would reject "
                                   f"it in its cache. To use it anyway, set "
                                   f"{data.DATA_DIR_ENV}={plan.npz.parent}.")
            data._read_npz(plan.npz, plan.fix)
        else:
            log(f"{spec.title}: checking {len(plan.idx)} files in {plan.source.path}")
            data._read_idx_pairs(spec, plan)
    except (data.DataUnavailableError, data.CorruptDataError) as err:
        return FetchResult(name, "failed", None, str(err))
    except PermissionError as err:
        return FetchResult(name, "failed", None,
                           f"{err.filename or folder} cannot be read by this user "
                           f"({err.strerror}). Fix: make it readable (chmod a+r) or copy the "
                           "files to a folder of yours, and import from there.")

    if plan.npz is not None:
        target = cache / data.KERAS_MNIST_NPZ

        def official(copy: Path) -> None:
            if data._file_digest(copy) != data.KERAS_MNIST_NPZ_SHA256:
                raise data.CorruptDataError(
                    f"the copy of {plan.npz} differs from the file checked a moment ago "
                    "(did it change while it was copied?); nothing was replaced.")

        try:
            _write_atomically(plan.npz, target, gzip_it=False, check=official)
        except data.CorruptDataError as err:
            return FetchResult(name, "failed", None, str(err))
    else:
        cached_npz = cache / data.KERAS_MNIST_NPZ
        if name == "mnist" and cached_npz.is_file() and \
                data._file_digest(cached_npz) == data.KERAS_MNIST_NPZ_SHA256:
            return FetchResult(name, "already there", cached_npz,
                               f"Keras's official {data.KERAS_MNIST_NPZ} is already in its "
                               "cache; nothing imported")
        target = cache / (data.KERAS_MNIST_IDX_SUBFOLDER if name == "mnist" else data.FASHION_SUBFOLDER)
        cache.mkdir(parents=True, exist_ok=True)
        _recover_interrupted_swap(target)
        staging = Path(tempfile.mkdtemp(dir=cache, prefix=f".{target.name}.staging-"))
        try:
            for role, source in plan.idx.items():
                _write_atomically(source, staging / f"{data.IDX_NAMES[role]}.gz",
                                  gzip_it=not source.name.endswith(".gz"))
            os.chmod(staging, 0o777 & ~_umask())
            data.verify_data(name, data_dir=staging)  # the copy, not the source
            _swap_in(staging, target)
        except (data.CorruptDataError, data.DataUnavailableError) as err:
            return FetchResult(name, "failed", None,
                               f"the copy does not pass the checks, so nothing was replaced: {err}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # gone already after a swap
        if name == "mnist" and cached_npz.is_file():
            # Not the official file (checked above): it would shadow the import,
            # and Keras would try to download over it.
            log(f"{spec.title}: removing {cached_npz}, which is not the official file")
            cached_npz.unlink()
    copied = data._plan_keras(spec)
    if copied.source.path != target:
        return FetchResult(name, "failed", None,
                           f"copied to {target}, but the loader reads {copied.source.path}")
    detail = f"verified and copied to {target}"
    if copied.source.test_split:
        detail += " (test set only: the lessons train on its first 80%, test on the rest)"
    return FetchResult(name, "imported", target, detail)


def fetch_data(
    dataset: str = "all",
    *,
    source_dir: str | os.PathLike[str] | None = None,
    log: Log | None = print,
) -> list[FetchResult]:
    """Put MNIST and/or Fashion-MNIST into Keras's cache, verified, for offline use.

    Without ``source_dir`` a data set already in the cache is checked and kept,
    a missing one is downloaded by Keras. With ``source_dir`` (files a teacher
    brought on a USB stick) every file is checked as :mod:`tfcourse.data`
    checks it, then copied where Keras and :func:`tfcourse.load_mnist` read it:
    ``datasets/mnist.npz`` (Keras's official file only), IDX files of MNIST
    into ``datasets/mnist/``, Fashion-MNIST into ``datasets/fashion-mnist/``.
    ``log`` receives progress lines (None: silent).

    Example:
        >>> from tfcourse.cli import fetch_data
        >>> [r.status for r in fetch_data("fashion_mnist",
        ...      source_dir="/usr/share/datasets/fashion-mnist", log=None)]
        ['imported']
    """
    check_choice("dataset", dataset, DATASET_CHOICES)
    if log is not None and not callable(log):
        raise TypeError(expected("a function taking a line of text, or None", "log", log))
    folder = None
    if source_dir is not None:
        if isinstance(source_dir, (bytes, bytearray)) or not isinstance(
            source_dir, (str, os.PathLike)
        ):
            raise TypeError(expected("a folder path or None", "source_dir", source_dir))
        folder = Path(source_dir).expanduser()
        if not folder.is_dir():
            raise FileNotFoundError(expected("an existing folder", "source_dir", source_dir))
    say: Log = log if log is not None else (lambda line: None)
    names = DATASETS if dataset == "all" else (dataset,)
    results = []
    for name in names:
        if folder is not None:
            result = _import(name, folder, say)
        else:
            where = _verified_in_cache(name)
            if where is not None:
                result = FetchResult(name, "already there", where, f"verified in {where}")
            else:
                result = _download(name, say)
        say(f"{data._SPECS[name].title}: {result.status}: {result.detail}")
        results.append(result)
    return results


def _fetch(args: argparse.Namespace, log: Log) -> int:
    if args.source_dir is not None and not Path(args.source_dir).expanduser().is_dir():
        raise UsageError(f"--from {args.source_dir}: no such folder")
    results = fetch_data(args.dataset, source_dir=args.source_dir, log=log)
    failed = [r for r in results if not r.ok]
    cache = data._keras_datasets_dir()
    if failed:
        log(f"\n{len(failed)} of {len(results)} data sets not in Keras's cache ({cache}).")
        return 1
    log(f"\nReady offline: {', '.join(data._SPECS[r.dataset].title for r in results)} "
        f"in Keras's cache ({cache}).")
    return 0


# --- run: the dress rehearsal ---------------------------------------------------------


def _lessons_dir() -> Path | None:
    root = _course_root()
    return None if root is None else root / "lessons"


def _all_lessons(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("*.ipynb") if LESSON_PATTERN.match(path.name))


def _resolve_lesson(text: str, folder: Path | None) -> Path:
    """A lesson named by number ("3"), file name or path."""
    if text.isdigit():
        if folder is None:
            raise UsageError(expected("a lesson file or path (no lessons folder here)",
                                      "lesson", text, hint="Run from the course folder."))
        numbers = {int(LESSON_PATTERN.match(p.name)[1]): p for p in _all_lessons(folder)}
        if int(text) not in numbers:
            listed = ", ".join(map(str, sorted(numbers)))
            raise UsageError(expected(f"a lesson number in {folder} ({listed})", "lesson", text))
        return numbers[int(text)]
    candidates = [Path(text).expanduser()]
    if folder is not None:
        candidates += [folder / text, folder / f"{text}.ipynb"]
    for candidate in candidates:
        if candidate.is_file():
            if candidate.suffix != ".ipynb":
                raise UsageError(expected("a notebook (.ipynb)", "lesson", text))
            return candidate.resolve()
    raise UsageError(expected(f"a lesson number, a file name in {folder} or a notebook path",
                              "lesson", text))


class _PeakMemory:
    """The peak memory of the kernel and every process it started, sampled in a thread.

    Counted as a container counts it: summed PSS (see ``env.process_tree_memory``).
    """

    def __init__(self) -> None:
        self.peak: int | None = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, pid: int | None) -> None:
        if pid is None:
            return
        self._pid = pid
        self._thread = threading.Thread(target=self._loop, name="tfcourse-memory", daemon=True)
        self._thread.start()

    def sample(self) -> None:
        if self._pid is None:
            return
        used = process_tree_memory(self._pid)
        if used is not None:
            self.peak = max(self.peak or 0, used)

    def _loop(self) -> None:
        while not self._stop.wait(MEMORY_SAMPLE_EVERY_S):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _has_traceback(notebook, index: int) -> bool:
    """Whether the cell at ``index`` holds an error output (its traceback)."""
    if not 0 <= index < len(notebook.cells):
        return False
    outputs = notebook.cells[index].get("outputs", [])
    return any(output.get("output_type") == "error" for output in outputs)


def _progress_bar(done: int, total: int, width: int = 20) -> str:
    filled = width * done // total if total else width
    return "#" * filled + "-" * (width - filled)


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:80]
    return ""


def _error_text(ename: str, evalue: str) -> str:
    evalue = _first_line(evalue)
    return f"{ename}: {evalue}" if evalue else ename


def _run_one(
    path: Path, output: Path, timeout: float, log: Log, *, keep_going: bool = False
) -> LessonRun:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    code_cells = [i for i, cell in enumerate(notebook.cells)
                  if cell.cell_type == "code" and cell.source.strip()]
    log(f"\n{path.name}: {len(code_cells)} code cells")
    memory = _PeakMemory()
    started = time.perf_counter()
    current: dict[str, int] = {"index": -1, "done": 0}
    first_error: dict[str, object] = {}
    kernel = notebook.metadata.get("kernelspec", {}).get("name") or "python3"
    client = NotebookClient(
        notebook,
        timeout=timeout,
        startup_timeout=KERNEL_STARTUP_TIMEOUT_S,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},  # the kernel's cwd
        coalesce_streams=True,
        allow_errors=keep_going,
    )

    def on_notebook_start(notebook) -> None:
        provisioner = getattr(client.km, "provisioner", None)
        memory.start(getattr(provisioner, "pid", None))

    def on_cell_start(cell, cell_index) -> None:
        current["index"] = cell_index

    def on_cell_executed(cell, cell_index, execute_reply) -> None:
        memory.sample()  # the kernel is still alive here, even after the last cell
        current["done"] += 1
        content = execute_reply.get("content", {})
        failed = content.get("status") == "error"
        wanted = "raises-exception" in cell.metadata.get("tags", [])  # nbclient's own tag
        if failed and not wanted and not first_error:
            first_error.update(index=cell_index,
                               text=_error_text(content.get("ename", "Error"),
                                                content.get("evalue", "")))
        outcome = "ERROR" if failed and not wanted else "ok"
        log(f"  [{_progress_bar(current['done'], len(code_cells))}] "
            f"{current['done']:>3}/{len(code_cells)}  cell {cell_index:<3} "
            f"{time.perf_counter() - started:7.1f} s  peak {_format_memory(memory.peak)}  "
            f"{outcome}")

    client.on_notebook_start = on_notebook_start
    client.on_cell_start = on_cell_start
    client.on_cell_executed = on_cell_executed

    output.mkdir(parents=True, exist_ok=True)
    # The kernel's own stderr (ipykernel warnings, TensorFlow's C++ lines, a crash
    # report) goes to a file beside the pages, not over the progress lines.
    kernel_log = output / f"{path.stem}.kernel-stderr.txt"
    status, error, failed_cell = "ok", "", None
    try:
        with open(kernel_log, "wb") as stderr:
            client.execute(stderr=stderr)
    except CellTimeoutError:
        status, error = "timeout", f"no result within --timeout {timeout:g} s"
    except DeadKernelError as err:
        status, error = "kernel died", f"{err} (out of memory?)"
    except CellExecutionError as err:
        status, error = "failed", _error_text(err.ename, err.evalue)
    except Exception as err:  # the kernel did not start, or nbclient failed
        status, error = "failed", _error_text(type(err).__name__, str(err))
        current["index"] = -1
    finally:
        memory.stop()
    seconds = time.perf_counter() - started
    if status != "ok":
        failed_cell = current["index"] if current["index"] >= 0 else None
    if status in ("ok", "failed") and first_error:  # with --keep-going: the first error
        status, failed_cell, error = "failed", first_error["index"], str(first_error["text"])
    if kernel_log.is_file() and kernel_log.stat().st_size == 0:
        kernel_log.unlink()
    executed = output / path.name
    if status == "failed" and failed_cell is not None and _has_traceback(notebook, failed_cell):
        error += f" (traceback in {executed})"
    elif status != "ok" and kernel_log.is_file():
        error += f" (the kernel's stderr is in {kernel_log})"
    nbformat.write(notebook, executed)
    html = output / f"{path.stem}.html"
    try:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(notebook)
        html.write_text(body, encoding="utf-8")
    except Exception as err:  # an HTML page is a bonus, the rehearsal's result is above
        log(f"  (no HTML page: {type(err).__name__}: {err})")
        html = None
    failed_source = "" if failed_cell is None else _first_line(notebook.cells[failed_cell].source)
    where = f"cell {failed_cell} ({failed_source!r})" if failed_cell is not None else "start-up"
    log(f"  {status} in {seconds:.1f} s, peak memory {_format_memory(memory.peak)} "
        "(kernel and its processes, summed PSS)"
        + (f": {where}: {error}" if status != "ok" else ""))
    return LessonRun(path, status, seconds, memory.peak, executed, html, failed_cell,
                     failed_source, error)


def _check_output(output: Path, lessons: Sequence[Path]) -> Path:
    resolved = output.expanduser().resolve()
    for lesson in lessons:
        if resolved == lesson.resolve().parent:
            raise UsageError(expected(
                "an output folder other than the lessons' own folder", "output_dir", str(output),
                hint="The executed copies would overwrite the sources.",
            ))
    if resolved.exists() and not resolved.is_dir():
        raise UsageError(expected("a folder, not a file", "output_dir", str(output)))
    return resolved


def run_lessons(
    lessons: Sequence[int | str | os.PathLike[str]] | None = None,
    *,
    output_dir: str | os.PathLike[str] | None = None,
    timeout: float = DEFAULT_CELL_TIMEOUT_S,
    keep_going: bool = False,
    log: Log | None = print,
) -> list[LessonRun]:
    """Execute lessons headless, in order, and keep executed copies and HTML pages.

    ``lessons`` are numbers (``3``), file names or paths (default: every lesson
    in ``lessons/``). Each runs in a fresh kernel whose working directory is the
    lesson's folder. ``output_dir`` (default ``_build/rehearsal`` in the course
    folder) receives ``NN_name.ipynb`` executed and ``NN_name.html``; it may not
    be the lessons' folder. ``timeout`` is in seconds per cell.
    ``keep_going=True`` runs every cell even after an error (to see all the
    failures, or a lesson's full memory use); the lesson still counts as failed.

    Example:
        >>> from tfcourse.cli import run_lessons
        >>> [(r.lesson.name, r.status) for r in run_lessons([2], log=None)]
        [('02_the_low_level_api.ipynb', 'ok')]
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(expected("a number of seconds", "timeout", timeout))
    if not 0 < timeout < math.inf:
        raise ValueError(expected("a positive, finite number of seconds", "timeout", timeout))
    if log is not None and not callable(log):
        raise TypeError(expected("a function taking a line of text, or None", "log", log))
    if not isinstance(keep_going, bool):
        raise TypeError(expected("True or False", "keep_going", keep_going))
    if lessons is not None and (isinstance(lessons, (str, bytes, os.PathLike))
                                or not isinstance(lessons, Sequence)):
        raise TypeError(expected("a list of lesson numbers, names or paths, or None",
                                 "lessons", lessons, hint="Use [3] for one lesson."))
    folder = _lessons_dir()
    if lessons is None or len(lessons) == 0:
        if folder is None:
            raise UsageError("No lessons folder found: run from the course folder "
                             "(the one holding lessons/), or name the notebooks.")
        paths = _all_lessons(folder)
    else:
        paths = []
        for item in lessons:
            if isinstance(item, bool) or not isinstance(item, (int, str, os.PathLike)):
                raise TypeError(expected("a lesson number, file name or path", "lessons", item))
            paths.append(_resolve_lesson(os.fspath(item) if not isinstance(item, int)
                                         else str(item), folder))
    if output_dir is None:
        root = _course_root() or Path.cwd()
        output_dir = root / OUTPUT_DEFAULT
    elif isinstance(output_dir, (bytes, bytearray)) or not isinstance(
        output_dir, (str, os.PathLike)
    ):
        raise TypeError(expected("a folder path or None", "output_dir", output_dir))
    output = _check_output(Path(output_dir), paths)
    say: Log = log if log is not None else (lambda line: None)
    # Kernels inherit this environment: keep TensorFlow's C++ start-up lines out of the pages.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return [_run_one(path, output, float(timeout), say, keep_going=keep_going)
            for path in paths]


def _format_memory(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1024**3:.2f} GiB"


def _run(args: argparse.Namespace, log: Log) -> int:
    runs = run_lessons(args.lessons, output_dir=args.output, timeout=args.timeout,
                       keep_going=args.keep_going, log=log)
    log("")
    log(_table(("lesson", "status", "time", "peak memory (summed PSS)"),
               [(r.lesson.name, r.status, f"{r.seconds:.1f} s", _format_memory(r.peak_memory_bytes))
                for r in runs]))
    for run in runs:
        if not run.ok:
            where = (f"cell {run.failed_cell} ({run.failed_source!r})"
                     if run.failed_cell is not None else "start-up, before the first cell")
            log(f"\n{run.lesson.name} {run.status} at {where}: {run.error}")
    if runs:
        log(f"\nExecuted copies and HTML pages: {runs[0].executed.parent}")
    failed = sum(not r.ok for r in runs)
    log(f"{len(runs) - failed} of {len(runs)} lessons ran without error.")
    return 1 if failed else 0


# --- the command line ------------------------------------------------------------------


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The argument parser of ``tfcourse`` (one subcommand per job)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check, prepare and rehearse the tfcourse lessons.",
        epilog=f"Run '{prog} COMMAND --help' for a command's options.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

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
    doctor.set_defaults(handler=_doctor, subparser=doctor)

    fetch = commands.add_parser(
        "fetch-data", help="put MNIST and Fashion-MNIST into Keras's cache, verified",
        description="Download the data sets into Keras's cache (~/.keras/datasets or "
                    "$KERAS_HOME/datasets), or import files brought on a USB stick with "
                    "--from; every file is checked first. Afterwards the lessons work offline.",
    )
    fetch.add_argument("--dataset", choices=DATASET_CHOICES, default="all",
                       help="which data set (default: all)")
    fetch.add_argument("--from", dest="source_dir", metavar="DIR",
                       help="import from this folder (mnist.npz or the four IDX .gz files; "
                            "Fashion-MNIST also from its fashion-mnist/ subfolder) instead "
                            "of downloading")
    fetch.set_defaults(handler=_fetch, subparser=fetch)

    run = commands.add_parser(
        "run", help="execute lessons headless (the instructor's dress rehearsal)",
        description="Execute lessons in order, each in a fresh kernel started in the "
                    "lessons folder; write executed copies and HTML pages; print a summary "
                    "with wall time and peak memory (the kernel and its processes, summed "
                    "PSS). Exit status 1 if a lesson fails.",
    )
    run.add_argument("lessons", nargs="*", metavar="LESSON",
                     help="a lesson number (3), file name or path (default: every lesson)")
    run.add_argument("--output", metavar="DIR",
                     help=f"where the executed copies go (default: {OUTPUT_DEFAULT}/ in the "
                          "course folder; never the lessons folder)")
    run.add_argument("--timeout", type=_positive_seconds, default=DEFAULT_CELL_TIMEOUT_S,
                     metavar="S", help=f"seconds allowed per cell (default: "
                                       f"{DEFAULT_CELL_TIMEOUT_S:g})")
    run.add_argument("--keep-going", action="store_true",
                     help="run every cell even after an error (the lesson still fails)")
    run.set_defaults(handler=_run, subparser=run)

    from tfcourse import site  # the course website (imports no Sphinx until it builds)

    site.add_subcommand(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = PROG) -> int:
    """Run the command line; return the exit status (0 ok, 1 a check failed, 2 usage).

    Example:
        >>> from tfcourse.cli import main
        >>> main(["fetch-data", "--dataset", "fashion_mnist",
        ...       "--from", "/usr/share/datasets/fashion-mnist"])
        0
    """
    if argv is not None and (isinstance(argv, (str, bytes))
                             or not all(isinstance(arg, str) for arg in argv)):
        raise TypeError(expected("a list of argument strings or None", "argv", argv,
                                 hint='Use main(["doctor"]).'))
    if not isinstance(prog, str) or not prog:
        raise TypeError(expected("a program name", "prog", prog))
    parser = _build_parser(prog)
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, flush=True)

    try:
        return args.handler(args, log)
    except UsageError as err:
        args.subparser.error(str(err))  # one line and the usage, exit status 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 2  # pragma: no cover (error() exits)
