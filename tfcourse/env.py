"""The environment: versions, devices, and the CPU/GPU mode of a run.

The mode comes from the ``TFCOURSE_DEVICE`` environment variable (or an
argument): ``"auto"`` uses whatever TensorFlow finds, ``"cpu"`` hides every GPU
before TensorFlow starts, ``"gpu"`` stops at once with a clear message when no
GPU is visible. The tests set the variable; students usually leave it alone.

Every lesson's Setup cell calls :func:`setup_device` before it imports
TensorFlow, and a training lesson ends with :func:`check_placement` so a GPU
run proves its work really ran on the GPU.
"""

from __future__ import annotations

import html
import os
import platform
import sys
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from tfcourse._tensorflow import import_tensorflow
from tfcourse._validation import check_choice, expected

# What `import tfcourse as tfc` offers from here; the rest (device_mode,
# memory_status, installed_distribution ...) serves the other modules and the
# command line.
__all__ = [
    "check_placement",
    "check_versions",
    "environment_report",
    "force_cpu",
    "setup_device",
]

DEVICE_ENV = "TFCOURSE_DEVICE"
DEVICE_MODES = ("auto", "cpu", "gpu")

# The one table of builds that count as a package: a pin or minimum on
# "tensorflow" is met by these distributions too. They all install the import
# package `tensorflow` (Binder installs tensorflow-cpu; Apple silicon once used
# tensorflow-macos), but importlib.metadata knows each only by its own name.
PACKAGE_ALIASES = {"tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos")}

# Packages whose versions a lesson depends on, in the order a student reads them.
REPORTED_PACKAGES = (
    "tensorflow",
    "keras",
    "numpy",
    "matplotlib",
    "jupyterlab",
    "ipykernel",
    "ipywidgets",
    "jupyterlab_widgets",
    "tfcourse",
)


def device_mode(mode: str | None = None) -> str:
    """The device mode: ``mode`` if given, else ``$TFCOURSE_DEVICE``, else "auto".

    Example:
        >>> device_mode("cpu")
        'cpu'
    """
    if mode is None:
        mode = os.environ.get(DEVICE_ENV, "auto").strip().lower() or "auto"
        name = f"${DEVICE_ENV}"
    else:
        name = "mode"
    return check_choice(name, mode, DEVICE_MODES)


def force_cpu() -> None:
    """Hide every GPU from TensorFlow, so all work runs on the CPU.

    Call it before TensorFlow runs its first operation (the Setup cell).

    Example (not run here: it would hide the GPUs of the process running it)::

        import tfcourse as tfc
        tfc.force_cpu()
    """
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    if "tensorflow" not in sys.modules:
        return  # the variable above is enough: TensorFlow reads it at start-up
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        return
    try:
        tf.config.set_visible_devices([], "GPU")
    except RuntimeError as err:
        raise RuntimeError(
            "Cannot hide the GPU: TensorFlow has already started using it in this "
            "kernel. Restart the kernel (Kernel > Restart) and call "
            "tfc.force_cpu() before any TensorFlow operation."
        ) from err


def setup_device(mode: str | None = None) -> str:
    """Apply the device mode and return the device the lesson's work will use.

    Returns ``"/GPU:0"`` or ``"/CPU:0"``. In "gpu" mode with no GPU visible it
    raises ``RuntimeError`` saying why and how to fix it.

    On a GPU it also makes two choices on purpose, before TensorFlow touches
    the card:

    - **memory growth**: TensorFlow otherwise reserves nearly all GPU memory
      for the first process that uses the card, and a second lesson (or a
      worker process) starts short. ``TF_FORCE_GPU_ALLOW_GROWTH`` reaches the
      processes this one starts too.
    - **no TensorFloat-32**: on Ampere and newer NVIDIA GPUs TensorFlow by
      default rounds the inputs of float32 matrix products and convolutions to
      a 10-bit mantissa. The course's models are too small to gain from it,
      and the lessons compare results computed by hand with TensorFlow's at
      about 1e-5, which TF32 would break.

    Example (not run here: it starts TensorFlow and hides the GPUs)::

        import tfcourse as tfc
        tfc.setup_device("cpu")   # '/CPU:0'
    """
    mode = device_mode(mode)
    if mode == "cpu":
        force_cpu()
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    tf = import_tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    if mode == "gpu" and not gpus:
        raise RuntimeError(no_gpu_message(tf.sysconfig.get_build_info()))
    tf.config.experimental.enable_tensor_float_32_execution(False)
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass  # the card is in use already: the environment variable above applied then
    return "/GPU:0" if gpus else "/CPU:0"


# The oldest releases the lessons are written for: Keras 3 became TensorFlow's
# Keras in 2.16, and the lessons use Keras 3 APIs throughout.
MINIMUM_VERSIONS = {"tensorflow": (2, 16), "keras": (3, 0)}
# The releases the course is pinned to and checked with (requirements.txt:
# tensorflow~=2.21.0, keras~=3.15.0; a test keeps the two in step).
TESTED_VERSIONS = {"tensorflow": (2, 21), "keras": (3, 15)}


def pinned(package: str, extra: str = "") -> str:
    """The course's pin of ``package`` as pip writes it, from :data:`TESTED_VERSIONS`.

    >>> pinned("tensorflow", "[and-cuda]")
    'tensorflow[and-cuda]~=2.21.0'
    """
    major, minor = TESTED_VERSIONS[package]
    return f"{package}{extra}~={major}.{minor}.0"


# What a student installs for an NVIDIA GPU, on each system (README, doctor).
GPU_INSTALL = {
    "Linux": f'pip install "{pinned("tensorflow", "[and-cuda]")}" (CUDA and cuDNN come as pip '
             "packages; the NVIDIA driver must be installed)",
    "Windows": "TensorFlow 2.10 was the last release with native Windows GPU support: "
               f'use WSL2 and, inside it, pip install "{pinned("tensorflow", "[and-cuda]")}"',
    "Darwin": "macOS has no CUDA; Apple's tensorflow-metal plugin uses Apple GPUs, but it "
              "is released separately and trails TensorFlow's releases",
}


def gpu_install_hint(system: str | None = None) -> str:
    """How to get a TensorFlow that sees the GPU on ``system`` (default: this one).

    Example:
        >>> gpu_install_hint("Linux")[:40]
        'pip install "tensorflow[and-cuda]~=2.21.'
    """
    return GPU_INSTALL.get(system or platform.system(), GPU_INSTALL["Linux"])


def no_gpu_message(build_info: dict[str, Any], system: str | None = None) -> str:
    """Why GPU mode cannot run, with the fix, from TensorFlow's build info."""
    reasons = [f"{DEVICE_ENV}=gpu was asked for, but TensorFlow sees no GPU."]
    if not build_info.get("is_cuda_build") and not build_info.get("is_rocm_build"):
        reasons.append(
            "This TensorFlow is a CPU-only build (tensorflow-cpu never sees a GPU, and "
            "plain `tensorflow` on Linux finds one only with CUDA installed). Fix: "
            f"{gpu_install_hint(system)}."
        )
    else:
        reasons.append(
            "The build supports GPUs, so check the driver (`nvidia-smi`) and that "
            "CUDA_VISIBLE_DEVICES does not hide the card."
        )
    reasons.append(f"Unset {DEVICE_ENV} (or set it to auto or cpu) to run on the CPU.")
    return " ".join(reasons)


def _unwrap(value: Any) -> Any:
    # A keras.Variable holds its backend tensor in `.value` (a property); a
    # tf.Variable's `.value` is a method and the variable itself has `.device`.
    inner = getattr(value, "value", None)
    return inner if inner is not None and not callable(inner) else value


def device_type(tensor_or_variable: Any) -> str:
    """The device type ("CPU", "GPU", ...) that holds a TensorFlow or Keras value."""
    value = _unwrap(tensor_or_variable)
    device = getattr(value, "device", None)
    if not isinstance(device, str) or not device:
        raise TypeError(
            expected("a TensorFlow tensor or a (Keras) variable placed on a device",
                     "tensor_or_variable", tensor_or_variable)
        )
    import tensorflow as tf

    return tf.DeviceSpec.from_string(device).device_type or "CPU"


def check_placement(tensor_or_variable: Any, expected_type: str | None = None) -> str:
    """Check that a value lives on the device the run should use; return its type.

    ``expected_type`` defaults to "GPU" when TensorFlow sees a GPU (and the mode
    is not "cpu"), else "CPU". A mismatch raises ``RuntimeError``.

    Example (in a lesson, after training ``model``)::

        tfc.check_placement(model.weights[0])   # 'CPU', or 'GPU' on a GPU machine
    """
    if expected_type is not None and not isinstance(expected_type, str):
        raise TypeError(expected('"CPU", "GPU", "TPU" or None', "expected_type", expected_type))
    mode = device_mode()  # a bad $TFCOURSE_DEVICE is an error here too, not ignored
    actual = device_type(tensor_or_variable)
    if expected_type is None:
        import tensorflow as tf

        has_gpu = bool(tf.config.list_logical_devices("GPU"))
        expected_type = "GPU" if has_gpu and mode != "cpu" else "CPU"
    expected_type = check_choice("expected_type", expected_type.upper(), ("CPU", "GPU", "TPU"))
    if actual != expected_type:
        raise RuntimeError(
            f"Expected the work on a {expected_type}, but this value lives on a {actual} "
            f"({_unwrap(tensor_or_variable).device})."
        )
    return actual


@dataclass
class EnvironmentReport:
    """What this course runs on: versions, devices, data and memory.

    Shows as a table in a notebook and as plain text in a terminal.
    """

    sections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def to_text(self) -> str:
        width = max((len(k) for rows in self.sections.values() for k, _ in rows), default=0)
        lines = []
        for title, rows in self.sections.items():
            lines.append(title)
            lines.extend(f"  {k.ljust(width)}  {v}" for k, v in rows)
        return "\n".join(lines)

    __str__ = to_text

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        parts = ["<table>"]
        for title, rows in self.sections.items():
            parts.append(f'<tr><th colspan="2" style="text-align:left">{html.escape(title)}</th></tr>')
            for key, value in rows:
                parts.append(
                    f'<tr><td style="text-align:left">{html.escape(key)}</td>'
                    f'<td style="text-align:left">{html.escape(value)}</td></tr>'
                )
        parts.append("</table>")
        return "".join(parts)


def installed_distribution(name: str) -> tuple[str, str] | None:
    """(distribution, version) of an installed package or one of its aliases, else None.

    Example:
        >>> installed_distribution("numpy")[0]
        'numpy'
        >>> installed_distribution("no-such-package-tfcourse") is None
        True

    On Binder ``installed_distribution("tensorflow")`` is
    ``('tensorflow-cpu', '2.21.0')``: the CPU build meets a tensorflow pin.
    """
    for candidate in PACKAGE_ALIASES.get(name, (name,)):
        try:
            return candidate, metadata.version(candidate)
        except metadata.PackageNotFoundError:
            continue
    return None


def package_version(name: str) -> str:
    """The installed version of a package (or of one of its aliases), or "not installed"."""
    found = installed_distribution(name)
    return found[1] if found else "not installed"


def environment_report(*, include_devices: bool = True) -> EnvironmentReport:
    """Versions, devices, data sources and memory, for the top of a lesson.

    ``include_devices=False`` skips importing TensorFlow (fast).

    Example:
        >>> import tfcourse as tfc
        >>> tfc.environment_report(include_devices=False).sections["Versions"][0][0]
        'Python'
    """
    if not isinstance(include_devices, bool):
        raise TypeError(expected("True or False", "include_devices", include_devices))
    report = EnvironmentReport()
    report.sections["Versions"] = [("Python", platform.python_version())] + [
        (name, package_version(name)) for name in REPORTED_PACKAGES
    ]
    if include_devices:
        report.sections["Devices"] = _device_rows()
    report.sections["Data"] = _data_rows()
    report.sections["Memory"] = _memory_rows()
    return report


def _device_rows() -> list[tuple[str, str]]:
    tf = import_tensorflow()
    rows = [("mode", f"{device_mode()} (${DEVICE_ENV})")]
    info = tf.sysconfig.get_build_info()
    build = "CUDA" if info.get("is_cuda_build") else "ROCm" if info.get("is_rocm_build") else "CPU only"
    rows.append(("TensorFlow build", build))
    for device in tf.config.list_physical_devices():
        rows.append((device.device_type, device.name))
    return rows


def _data_rows() -> list[tuple[str, str]]:
    from tfcourse.data import data_source

    rows = []
    for name in ("mnist", "fashion_mnist"):
        try:
            source = data_source(name)
        except (OSError, ValueError) as err:  # the report must show the problem, not die of it
            rows.append((name, f"unavailable: {err}"))
            continue
        rows.append((name, f"{source.kind}: {source.path} {source.detail}".strip()))
    return rows


def process_tree_memory(pid: int) -> int | None:
    """Memory used by process ``pid`` and all its descendants, in bytes, as a container counts it.

    The sum of each process's PSS (proportional set size: shared pages split
    among the processes that share them) where the system reports it (Linux),
    else of their RSS. Summed RSS counts TensorFlow's shared libraries once
    per process: three processes of lesson 11 read 2.27 GiB summed RSS but
    1.50 GiB summed PSS, and a container's limit (Binder's 2 GB) is closer to
    PSS. None when psutil is missing or the process is gone.
    """
    try:
        import psutil

        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except Exception:  # psutil missing, or the process just exited
        return None
    total = 0
    for process in processes:
        try:
            info = process.memory_full_info()
            total += getattr(info, "pss", info.rss)
        except psutil.Error:
            continue  # a child that just ended counts for nothing
    return total


@dataclass(frozen=True)
class MemoryStatus:
    """How much memory this process's programs may use: ``total`` and ``available`` bytes.

    ``scope`` is "this container" when a container's limit (Binder's 2 GB,
    a Docker ``--memory``) is tighter than the machine's RAM, else "this machine".
    """

    total: int
    available: int
    scope: str


def memory_status() -> MemoryStatus | None:
    """The memory the lessons can count on, container-aware; None without psutil.

    Inside a container the machine's RAM (what ``psutil`` reports) is not what
    a kernel may use: the cgroup's limit is (cgroup v2 ``memory.max``, v1
    ``memory.limit_in_bytes``), and what is free is that limit less the
    cgroup's usage. Otherwise the machine's own total and available RAM.

    Example:
        >>> status = memory_status()
        >>> status is None or 0 <= status.available <= status.total
        True
    """
    try:
        import psutil
    except ImportError:
        return None
    memory = psutil.virtual_memory()
    total, available, scope = memory.total, memory.available, "this machine"
    cgroup = _cgroup_memory()
    if cgroup is not None and cgroup[0] < total:
        limit, usage = cgroup
        total, available = limit, min(available, max(limit - usage, 0))
        scope = "this container"
    return MemoryStatus(total, available, scope)


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


def _memory_rows() -> list[tuple[str, str]]:
    status = memory_status()
    if status is None:
        return [("memory", "unknown (psutil is not installed)")]
    gib = 1024**3
    return [
        ("total", f"{status.total / gib:.1f} GiB ({status.scope})"),
        ("available", f"{status.available / gib:.1f} GiB"),
    ]




class UntestedVersionWarning(UserWarning):
    """TensorFlow or Keras is new enough but not the release the course was checked with."""


def _release(version: str) -> tuple[int, ...] | None:
    """Major and minor release of a version string (PEP 440), or None when it is not one."""
    # Imported here: the doctor still reports a missing `packaging` rather than failing.
    from packaging.version import InvalidVersion, Version

    try:
        return (*Version(version).release, 0)[:2]  # "3" is 3.0
    except InvalidVersion:
        return None


def _install_fix() -> str:
    if "google.colab" in sys.modules:  # no requirements.txt there: pin in place, then restart
        return (f'Fix: run !pip install -q "{pinned("tensorflow")}" "{pinned("keras")}" in a cell, '
                "then Runtime > Restart session.")
    return "Fix: pip install -r requirements.txt (from the course folder), then restart the kernel."


def check_versions(versions: dict[str, str] | None = None) -> str:
    """Check TensorFlow and Keras are new enough; return a one-line summary.

    ``versions`` maps package names to version strings (default: installed).
    Too old or missing raises ``RuntimeError`` with the command that fixes it.
    New enough but not the release the course is pinned to (Colab's, say):
    an :class:`UntestedVersionWarning`, and the lesson goes on.

    Example:
        >>> check_versions({"tensorflow": "2.21.0", "keras": "3.15.1"}).split(" · ")[:2]
        ['TensorFlow 2.21.0', 'Keras 3.15.1']
    """
    if versions is None:
        versions = {name: package_version(name) for name in MINIMUM_VERSIONS}
    elif not isinstance(versions, dict) or not all(
        isinstance(v, str) for v in versions.values()
    ):
        raise TypeError(expected("a dict of version strings like {'tensorflow': '2.21.0'}",
                                 "versions", versions,
                                 hint="Write versions as text: '2.21', not 2.21."))
    untested = []
    for name, minimum in MINIMUM_VERSIONS.items():
        found = versions.get(name, "not installed")
        release = _release(found)
        if release is None or release < minimum:
            need = ".".join(map(str, minimum))
            raise RuntimeError(f"This course needs {name} >= {need}; found {found}. {_install_fix()}")
        if release != TESTED_VERSIONS[name]:
            untested.append(f"{name} {found} (the course is checked with "
                            f"{'.'.join(map(str, TESTED_VERSIONS[name]))}.x)")
    if untested:
        warnings.warn(
            f"Untested versions: {'; '.join(untested)}. The lesson should run; printed numbers, "
            "timings and error texts may differ a little.", UntestedVersionWarning, stacklevel=2)
    return (f"TensorFlow {versions['tensorflow']} · Keras {versions['keras']} · "
            f"Python {platform.python_version()}")
