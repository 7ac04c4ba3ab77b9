"""Child processes that stay on this machine and never outlive their parent.

Shared by the modules that start servers or workers for a lesson
(``distributed`` for lesson 11's local cluster). Two fences, each where the
operating system offers it:

- **Lifetime.** :func:`die_with_parent` makes the calling process end when its
  parent does, even when the parent is killed with SIGKILL (a kernel restart,
  a time-out): Linux's ``PR_SET_PDEATHSIG``, plus a watchdog thread on every
  system, which notices that the parent process is gone.
- **Network.** :func:`isolate_network` moves the calling process into new
  user and network namespaces (Linux) that hold only a loopback interface:
  whatever address a server inside binds, no other machine can reach it.
  TensorFlow's gRPC workers listen on every interface and ignore the host in
  ``TF_CONFIG`` (tensorflow/tensorflow#11689), so only such an OS-level fence
  keeps them local.

Nothing here imports TensorFlow.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

# prctl(2) and unshare(2) constants (linux/prctl.h, linux/sched.h, linux/sockios.h).
_PR_SET_PDEATHSIG = 1
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
WATCHDOG_EVERY_S = 0.5


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def request_parent_death_signal(sig: int) -> bool:
    """Linux: have the kernel send ``sig`` to this process when its parent dies.

    The request survives ``exec``. Returns False where the system has no such
    request (not Linux), so the caller can watch its parent instead.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return _libc().prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int, *, sig: int = signal.SIGKILL) -> None:
    """Have the kernel send ``sig`` to this process when its parent dies (Linux).

    Call it first thing in a child, with the parent's pid passed by the
    parent: if the parent died before this call, the child exits at once
    (the race that ``PR_SET_PDEATHSIG`` alone leaves open). The setting
    survives ``exec``, so a program started this way passes it on to what it
    runs. Starts no thread: :func:`isolate_network` may still follow.
    """
    request_parent_death_signal(sig)
    if os.getppid() != parent_pid:
        os._exit(1)


def watch_parent(parent_pid: int, *, sig: int = signal.SIGKILL) -> None:
    """A watchdog thread that sends ``sig`` to this process once its parent is gone.

    Works on every system (the parent of an orphan changes); on Linux it backs
    up :func:`die_with_parent`. Does not survive ``exec``.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(WATCHDOG_EVERY_S)
        os.kill(os.getpid(), sig)
        time.sleep(WATCHDOG_EVERY_S)
        os._exit(1)  # sig was handled and ignored: leave anyway

    threading.Thread(target=watch, name="tfcourse-parent-watchdog", daemon=True).start()


def isolate_network() -> None:
    """Move this process into a network of its own that holds only loopback (Linux).

    Must be called while the process has a single thread. Raises ``OSError``
    saying why when the system refuses (not Linux, or user namespaces are
    disabled, as in some containers).
    """
    if not sys.platform.startswith("linux"):
        raise OSError(f"network namespaces exist only on Linux (this is {sys.platform})")
    import fcntl  # POSIX only: imported here so that Windows can import this module

    uid, gid = os.getuid(), os.getgid()
    if _libc().unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare(CLONE_NEWUSER | CLONE_NEWNET) refused: {os.strerror(errno)}")
    # Inside the new user namespace this process is root, owner of the new
    # network namespace, and may bring its loopback interface up.
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
        with open(f"/proc/self/{name}", "w", encoding="ascii") as file:
            file.write(text)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | _IFF_UP))


_PROBE = """
import socket
from tfcourse._processes import isolate_network
isolate_network()
print(",".join(name for _, name in socket.if_nameindex()))
"""


def network_isolation_problem() -> str | None:
    """None when :func:`isolate_network` works here, else the reason it does not.

    Tried in a short-lived child process, so this process stays where it is.
    """
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"the probe could not run ({err})"
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return lines[-1] if lines else f"the probe failed (exit status {done.returncode})"
    interfaces = done.stdout.strip()
    if interfaces != "lo":
        return f"the new network namespace is not loopback-only (interfaces: {interfaces})"
    return None


# --- A group of workers, fenced: ``python -m tfcourse._processes`` ---------------
#
#   fence     --parent-pid P [--deadline S] -- COMMAND...
#       die with P (SIGKILL), end after S seconds (SIGALRM), then exec COMMAND.
#   supervise --parent-pid P --spec FILE [--isolate-network]
#       die with P (SIGTERM, to clean up), optionally move into a loopback-only
#       network, start every worker of FILE fenced to itself, stop them all as
#       soon as one fails, when P dies, or at the deadline; write the outcome.
#
# The spec file (JSON): {"workers": [{"argv": [...], "env": {...}, "log": path}],
# "deadline": seconds, "grace": seconds, "status": path, "remove": [paths to
# delete when the workers are done], "remove_if_stopped": [paths to delete too
# when the supervisor was stopped, i.e. its caller is gone]}.


def fenced_command(command: list[str], parent_pid: int, deadline: float | None = None) -> list[str]:
    """``command`` wrapped so that it dies with ``parent_pid`` and after ``deadline`` seconds."""
    wrapper = [sys.executable, "-m", "tfcourse._processes", "fence", "--parent-pid", str(parent_pid)]
    if deadline is not None:
        wrapper += ["--deadline", str(max(1, math.ceil(deadline)))]
    return [*wrapper, "--", *command]


def _fence(parent_pid: int, deadline: int | None, command: list[str]) -> None:
    die_with_parent(parent_pid)
    if deadline:
        signal.alarm(deadline)  # alarms survive exec: the command ends on SIGALRM
    os.execvp(command[0], command)


def _end_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # the worker and anything it started
    except (ProcessLookupError, PermissionError):
        try:
            process.send_signal(sig)
        except ProcessLookupError:
            pass


def stop_all(processes: list[subprocess.Popen], grace: float) -> None:
    """Stop every process that still runs: SIGTERM, ``grace`` seconds, then SIGKILL."""
    for process in processes:
        if process.poll() is None:
            _end_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in processes:
        if process.poll() is None:
            _end_group(process, signal.SIGKILL)
            process.wait()


class _Stopped(Exception):
    """SIGTERM reached the supervisor (its parent died, or the caller gave up)."""


def _supervise(parent_pid: int, spec_path: str, isolate: bool) -> int:
    die_with_parent(parent_pid, sig=signal.SIGTERM)  # SIGTERM: time to stop the workers first
    with open(spec_path, encoding="utf-8") as file:
        spec = json.load(file)
    if isolate:
        isolate_network()  # before any thread starts
    watch_parent(parent_pid, sig=signal.SIGTERM)

    def stopped(signum, frame):
        raise _Stopped

    signal.signal(signal.SIGTERM, stopped)
    started = time.monotonic()
    processes: list[subprocess.Popen] = []
    outcome: dict = {"exit_codes": [], "failed": None, "timed_out": False, "stopped": False}
    try:
        for worker in spec["workers"]:
            with open(worker["log"], "wb") as log:
                processes.append(subprocess.Popen(
                    fenced_command(worker["argv"], os.getpid(), spec["deadline"] + spec["grace"]),
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    env=worker["env"], start_new_session=True))
        while True:
            codes = [process.poll() for process in processes]
            failed = [i for i, code in enumerate(codes) if code not in (None, 0)]
            if failed:
                outcome["failed"] = failed[0]
                break
            if all(code == 0 for code in codes):
                break
            if time.monotonic() - started > spec["deadline"]:
                outcome["timed_out"] = True
                break
            time.sleep(0.1)
    except _Stopped:
        outcome["stopped"] = True
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # finish stopping the workers
        stop_all(processes, spec["grace"])
        outcome["exit_codes"] = [process.returncode for process in processes]
        doomed = spec.get("remove", []) + (spec.get("remove_if_stopped", []) if outcome["stopped"] else [])
        for path in doomed:
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                _unlink(path)
        if spec.get("status") and os.path.isdir(os.path.dirname(spec["status"])):
            with open(spec["status"], "w", encoding="utf-8") as file:
                json.dump(outcome, file)
    return 0 if outcome["failed"] is None and not outcome["timed_out"] and not outcome["stopped"] else 1


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tfcourse._processes")
    commands = parser.add_subparsers(dest="command", required=True)
    fence = commands.add_parser("fence")
    fence.add_argument("--parent-pid", type=int, required=True)
    fence.add_argument("--deadline", type=int)
    fence.add_argument("program", nargs=argparse.REMAINDER)
    supervise = commands.add_parser("supervise")
    supervise.add_argument("--parent-pid", type=int, required=True)
    supervise.add_argument("--spec", required=True)
    supervise.add_argument("--isolate-network", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "fence":
        program = args.program[1:] if args.program[:1] == ["--"] else args.program
        if not program:
            parser.error("fence: no command after --")
        _fence(args.parent_pid, args.deadline, program)
        return 1  # not reached: exec replaced this process
    return _supervise(args.parent_pid, args.spec, args.isolate_network)


if __name__ == "__main__":
    sys.exit(main())
