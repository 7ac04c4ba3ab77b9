"""TensorBoard servers that stop with the kernel (lesson 12).

TensorBoard's notebook magic, ``%tensorboard --logdir ... --port 0``, starts
the program named by the environment variable ``TENSORBOARD_BINARY`` (or
``tensorboard`` from the ``PATH``) as a child process of the kernel and leaves
it running. A child process survives its parent: after a kernel restart (which
may SIGKILL the kernel) the server would keep its port and memory for good.
This module changes only *which program* the magic runs, and adds a Stop
button; the lesson still teaches the standard magic.

- :func:`use_tensorboard_launcher` points ``TENSORBOARD_BINARY`` at
  ``tfcourse-tensorboard``, the small launcher :func:`launch`. On Linux it asks
  the kernel to send it SIGTERM when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``), checks that the parent is still there, and
  then *becomes* the real ``tensorboard`` (``exec``): the request carries over,
  so TensorBoard ends with the kernel however the kernel ends. Elsewhere it runs
  TensorBoard as its own child and watches its parent every half second.
  Either way it refuses any ``--host`` but loopback, and ``--bind_all``.
- :func:`tensorboard_stop_button`: a button that stops the TensorBoard servers
  this kernel started; *Run All* never presses it. It also collects the
  server's exit status when it ends, so the kernel's own shutdown is not held
  up by a zombie child (and runs its clean-up).
- :func:`temporary_log_folder`: a fresh log folder, removed when the kernel
  ends, or at the next call if the kernel was killed.

Only the standard library is imported here; TensorBoard, psutil and ipywidgets
come in inside the functions that need them, so ``import tfcourse`` stays light.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from tfcourse._processes import request_parent_death_signal

__all__ = [
    "use_tensorboard_launcher",
    "stop_tensorboard",
    "tensorboard_stop_button",
    "temporary_log_folder",
]

LAUNCHER_NAME = "tfcourse-tensorboard"  # the console script ([project.scripts])
LOG_PREFIX = "tfcourse-logs-"
# Set to 1 to use the watchdog (the non-Linux way) on Linux too: tests use it.
WATCH_ENVIRON = "TFCOURSE_TENSORBOARD_WATCH"


# --- the launcher: the program TENSORBOARD_BINARY names ----------------------------


def exposure_problem(arguments: Sequence[str]) -> str | None:
    """Why these TensorBoard arguments would listen beyond this machine, or None.

    TensorBoard (argparse) accepts any unambiguous prefix of a flag, such as
    ``--bind`` for ``--bind_all``, so prefixes count too; ``--flagfile`` could
    hide flags, so it is refused as well.

    >>> exposure_problem(["--logdir", "logs", "--port", "0"]) is None
    True
    >>> "0.0.0.0" in exposure_problem(["--host=0.0.0.0"])
    True
    """
    for i, argument in enumerate(arguments):
        if not argument.startswith("-") or argument in ("-", "--"):
            continue
        name, has_value, value = argument.lstrip("-").partition("=")
        if len(name) >= 2 and "bind_all".startswith(name):
            return (f"TensorBoard would listen on every network interface ({argument}); "
                    "this launcher serves on this machine only: leave out --bind_all.")
        if len(name) >= 2 and "flagfile".startswith(name):
            return f"{argument}: this launcher takes TensorBoard's flags on its command line only."
        if len(name) >= 2 and "host".startswith(name):
            if not has_value:
                value = arguments[i + 1] if i + 1 < len(arguments) else ""
            if not _is_loopback(value):
                return (f"TensorBoard would listen on {value!r}, reachable from other machines; "
                        "this launcher accepts only --host localhost or a loopback address "
                        "such as 127.0.0.1.")
    return None


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost, or "" (every interface)


def real_tensorboard() -> list[str]:
    """The command of the real TensorBoard: the one installed beside this Python."""
    found = shutil.which("tensorboard", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "tensorboard.main"]


def _alive(pid: int) -> bool:
    try:
        import psutil

        return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except ImportError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    except Exception:  # psutil.NoSuchProcess between the two calls
        return False


def launch(argv: Sequence[str] | None = None) -> int:
    """Run TensorBoard so that it ends with the process that started this launcher.

    The console script ``tfcourse-tensorboard`` calls it with TensorBoard's own
    arguments (``--logdir ... --port 0``), which pass through unchanged:
    TensorBoard's notebook magic finds its server again by those arguments.

    On Linux this call never returns when it succeeds: the process becomes
    TensorBoard, with the same process id. Linux sends the signal when the
    *thread* that started the launcher ends; the kernel runs cells, and so
    ``%tensorboard``, on its main thread, which lives as long as the kernel.
    """
    parent = os.getppid()  # first: the kernel that started us
    arguments = list(sys.argv[1:] if argv is None else argv)
    problem = exposure_problem(arguments)
    if problem:
        print(f"{LAUNCHER_NAME}: {problem}", file=sys.stderr)
        return 2
    command = real_tensorboard() + arguments
    if os.environ.get(WATCH_ENVIRON) != "1" and request_parent_death_signal(signal.SIGTERM):
        if os.getppid() != parent or not _alive(parent):
            return 1  # the parent died before the request counted: nothing to serve
        os.execv(command[0], command)  # only returns by raising OSError
    return _run_watched(command, parent)


def _run_watched(command: list[str], parent: int, interval: float = 0.5) -> int:
    """Elsewhere: TensorBoard as a child, stopped when our parent is gone."""
    child = subprocess.Popen(command)

    def stop_child(signum, frame):  # SIGTERM/SIGINT to the launcher reach TensorBoard
        child.terminate()

    for name in ("SIGTERM", "SIGINT", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop_child)
    try:
        while child.poll() is None:
            if os.getppid() != parent or not _alive(parent):
                child.terminate()
                break
            time.sleep(interval)
        try:
            return child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            return child.wait()
    finally:
        if child.poll() is None:
            child.kill()


def launcher_path() -> str:
    """The path of the launcher, for ``TENSORBOARD_BINARY`` (one executable file).

    The console script installed with tfcourse; if tfcourse was installed before
    it existed, a two-line script with this Python, made for this kernel.
    """
    found = (shutil.which(LAUNCHER_NAME, path=str(Path(sys.executable).parent))
             or shutil.which(LAUNCHER_NAME))
    if found:
        return found
    if os.name != "posix":
        raise RuntimeError(
            f"Expected the program {LAUNCHER_NAME} beside {sys.executable}. Received: nothing "
            "there. Install tfcourse again: pip install -e . (in the course's folder)."
        )
    folder = Path(tempfile.mkdtemp(prefix="tfcourse-launcher-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    script = folder / LAUNCHER_NAME
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom tfcourse.board import launch\n"
                      "sys.exit(launch())\n", encoding="utf-8")
    script.chmod(0o700)
    return str(script)


def use_tensorboard_launcher() -> str:
    """Make ``%tensorboard`` start TensorBoard through the launcher; returns its path.

    The magic reads ``TENSORBOARD_BINARY`` each time it starts a server, so call
    this before ``%tensorboard``. Example::

        tfc.use_tensorboard_launcher()
        %load_ext tensorboard
        %tensorboard --logdir logs --port 0
    """
    path = launcher_path()
    os.environ["TENSORBOARD_BINARY"] = path
    return path


# --- stopping: the Stop button ------------------------------------------------------


def _started_here(pid: int) -> bool:
    import psutil

    try:
        return os.getpid() in {parent.pid for parent in psutil.Process(pid).parents()}
    except psutil.Error:
        return False


def _same_folder(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    return os.path.realpath(os.fspath(a)) == os.path.realpath(os.fspath(b))


def running_tensorboards(logdir: str | os.PathLike | None = None) -> list[Any]:
    """TensorBoard's records (``TensorBoardInfo``) of the servers this process started.

    Only servers whose process descends from this one (this kernel), and with
    ``logdir``, only those serving that folder.
    """
    from tensorboard import manager

    return [info for info in manager.get_all()
            if _started_here(info.pid) and (logdir is None or _same_folder(info.logdir, logdir))]


def stop_tensorboard(logdir: str | os.PathLike | None = None, *, timeout: float = 30) -> list[int]:
    """Stop the TensorBoard servers this kernel started (for ``logdir``, or all).

    Returns the process ids it stopped. TensorBoard ends cleanly on SIGTERM and
    removes its own record, so ``%tensorboard`` then starts a fresh server.
    """
    import psutil

    stopped = []
    for info in running_tensorboards(logdir):
        try:
            process = psutil.Process(info.pid)
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except psutil.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        except psutil.NoSuchProcess:
            pass
        stopped.append(info.pid)
    return stopped


_REAPING: set[int] = set()


def _reap_when_it_ends(pid: int) -> None:
    """Collect the exit status of the kernel's child that runs TensorBoard, once it ends.

    ``%tensorboard`` keeps no handle on the process it starts, so when it ends
    (stopped, or signalled by the kernel's own shutdown) it would stay a zombie;
    the kernel's shutdown waits for its children and sees that zombie as still
    running, until Jupyter gives up and kills the kernel, skipping its clean-up
    (``atexit``: the log folder). A daemon thread waiting for it avoids that.
    """
    import threading

    import psutil

    try:
        process = psutil.Process(pid)
        child = next((p for p in [process, *process.parents()] if p.ppid() == os.getpid()), None)
    except psutil.Error:
        return
    if child is None or child.pid in _REAPING or os.name != "posix":
        return  # (Windows has no zombies; its os.waitpid takes a handle, not a pid)
    _REAPING.add(child.pid)

    def wait() -> None:
        try:
            os.waitpid(child.pid, 0)
        except ChildProcessError:  # already collected (psutil, subprocess)
            pass
        finally:
            _REAPING.discard(child.pid)

    threading.Thread(target=wait, name=f"tfcourse-reap-{child.pid}", daemon=True).start()


def tensorboard_stop_button(logdir: str | os.PathLike | None = None):
    """A Stop button for the TensorBoard that shows ``logdir`` (or every one this kernel started).

    Returns an ``ipywidgets.HBox`` (button, status line). TensorBoard runs until
    the button is clicked, or until the kernel ends. Example::

        %tensorboard --logdir "{log_root}" --port 0
        tfc.tensorboard_stop_button(log_root)
    """
    import ipywidgets as widgets

    servers = running_tensorboards(logdir)
    for info in servers:
        _reap_when_it_ends(info.pid)
    ports = ", ".join(str(info.port) for info in servers)
    button = widgets.Button(description="Stop TensorBoard", icon="stop", button_style="warning",
                            tooltip="Stop the TensorBoard server this kernel started",
                            layout=widgets.Layout(width="auto"))  # the whole label, not "Stop TensorBo..."
    status = widgets.Label(
        f"TensorBoard is running (port {ports}) until you stop it or the kernel ends."
        if servers else "No TensorBoard of this kernel is running for this folder."
    )
    button.disabled = not servers

    def on_click(_button) -> None:
        stopped = stop_tensorboard(logdir)
        button.disabled = True
        status.value = (f"TensorBoard stopped (process {', '.join(map(str, stopped))})."
                        if stopped else "It had already stopped.")

    button.on_click(on_click)
    return widgets.HBox([button, status])


# --- log folders that do not pile up -------------------------------------------------


def temporary_log_folder(prefix: str = LOG_PREFIX) -> Path:
    """A new, empty folder in the system's temporary folder, removed when this process ends.

    Its name holds this process's id (``tfcourse-logs-<pid>-xxxx``). A kernel
    that is killed runs no clean-up, so each call also removes this user's
    folders of that kind whose process has ended.

    >>> folder = temporary_log_folder()
    >>> folder.name.startswith(f"tfcourse-logs-{os.getpid()}-")
    True
    """
    remove_leftover_log_folders(prefix)
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def remove_leftover_log_folders(prefix: str = LOG_PREFIX) -> list[Path]:
    """Remove the folders of :func:`temporary_log_folder` whose process has ended."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)-")
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        found = pattern.match(folder.name)
        if not found or not folder.is_dir() or folder.is_symlink():
            continue
        try:
            facts = folder.stat()
        except OSError:
            continue
        if hasattr(os, "getuid") and facts.st_uid != os.getuid():
            continue  # another user's
        if _owner_running(int(found.group(1)), facts.st_mtime):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _owner_running(pid: int, folder_mtime: float) -> bool:
    if pid == os.getpid():
        return True
    try:
        import psutil
    except ImportError:
        return _alive(pid)
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False  # ended; its parent has yet to collect it
        # a process started after the folder was last written to only reuses the id
        return process.create_time() <= folder_mtime + 1
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True  # cannot tell: keep the folder


if __name__ == "__main__":  # python -m tfcourse.board --logdir ... (same as the console script)
    sys.exit(launch())
