"""TensorBoard as lesson 12 runs it: through Jupyter's proxy, stopped with the kernel.

Everything here runs on this machine only (127.0.0.1), CPU only, no network, with
what binder/requirements.txt installs (jupyter-server-proxy included). Every
server a test starts, the test stops, whatever happens. The TensorBoard
records (``.tensorboard-info``) and log folders go to a temporary folder of
the test's own (TMPDIR), so a TensorBoard a student has open is never touched.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tfcourse import board

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("tensorboard")
psutil = pytest.importorskip("psutil")
STOPPED_WITHIN = 10  # seconds, after the process that started TensorBoard is killed


# --- helpers -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # show the redirect itself (to a login page, say)


def _get(url: str, timeout: float = 30) -> tuple[int, str]:
    """(status, body) of a GET, redirects not followed; a redirect's body is its Location."""
    try:
        with urllib.request.build_opener(_NoRedirect).open(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        if 300 <= err.code < 400:
            return err.code, err.headers.get("Location", "")
        return err.code, err.read().decode("utf-8", "replace")


def _ended(process: psutil.Process) -> bool:
    try:  # a zombie has ended; only its parent (here PID 1) has yet to reap it
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_ended(processes, timeout: float) -> float:
    start = time.monotonic()
    while not all(_ended(p) for p in processes):
        if time.monotonic() - start > timeout:
            alive = [p.pid for p in processes if not _ended(p)]
            raise AssertionError(f"still running {timeout} s later: {alive}")
        time.sleep(0.05)
    return time.monotonic() - start


def _kill_tree(pid: int) -> None:
    try:
        process = psutil.Process(pid)
        family = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for p in family:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)


@pytest.fixture(scope="module", autouse=True)
def private_tmp(tmp_path_factory) -> Path:
    """TMPDIR for these tests and the processes they start (TensorBoard's records too)."""
    folder = tmp_path_factory.mktemp("tmp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(folder))
        patch.setattr(tempfile, "tempdir", str(folder))
        yield folder


@pytest.fixture(scope="module")
def logdir(tmp_path_factory) -> Path:
    """A run folder with one tiny event file, written by tf.summary."""
    import tensorflow as tf

    folder = tmp_path_factory.mktemp("logs")
    writer = tf.summary.create_file_writer(str(folder / "tiny_run"))
    with writer.as_default():
        for step, value in enumerate([1.0, 0.5, 0.25]):
            tf.summary.scalar("made_up_loss", value, step=step)
    writer.close()
    return folder


@pytest.fixture(scope="module")
def launcher() -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("TENSORBOARD_BINARY", raising=False)  # restored afterwards
        path = board.use_tensorboard_launcher()
        assert os.environ["TENSORBOARD_BINARY"] == path
        yield path


@contextmanager
def _tensorboard(logdir: Path, *extra: str):
    """TensorBoard started the way %tensorboard starts it (tensorboard.manager.start)."""
    from tensorboard import manager

    result = manager.start(["--logdir", str(logdir), "--port", "0", *extra])
    assert isinstance(result, manager.StartLaunched), result
    try:
        yield result.info
    finally:
        _kill_tree(result.info.pid)


@pytest.fixture(scope="module")
def served(logdir, launcher):
    """One TensorBoard for this module, started by this process as %tensorboard would."""
    with _tensorboard(logdir) as info:
        yield info


# --- the launcher alone ---------------------------------------------------------------------


def test_the_console_script_is_installed_beside_python():
    path = board.launcher_path()
    assert Path(path).parent == Path(sys.executable).parent, (
        "pip install -e . makes the console script tfcourse-tensorboard"
    )
    assert os.access(path, os.X_OK)


@pytest.mark.parametrize(
    "arguments",
    [["--bind_all"], ["--bind"], ["--host", "0.0.0.0"], ["--host=::"], ["--ho", "192.168.1.5"],
     ["--host", ""], ["--host", "example.org"], ["--flagfile", "flags.txt"]],
)
def test_the_launcher_refuses_to_listen_beyond_this_machine(arguments, tmp_path):
    done = subprocess.run([board.launcher_path(), "--logdir", str(tmp_path), *arguments],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "this launcher" in done.stderr


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "[::1]", "127.0.0.2"])
def test_loopback_hosts_are_accepted(host):
    assert board.exposure_problem(["--logdir", "x", "--host", host]) is None
    assert board.exposure_problem(["--logdir", "x", f"--host={host}"]) is None


# --- through Jupyter's proxy, as on Binder ----------------------------------------------------


@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory):
    """A Jupyter server on 127.0.0.1 with a token, still starting: (base URL, token, process).

    Tests call _until_up() on it, so TensorBoard starts meanwhile.
    """
    pytest.importorskip("jupyter_server_proxy",
                        reason="pip install -r requirements.txt (jupyter-server-proxy)")
    port, token = _free_port(), secrets.token_hex(16)
    root = tmp_path_factory.mktemp("root")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path_factory.mktemp("runtime")))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        yield f"http://127.0.0.1:{port}", token, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _kill_tree(server.pid)
        server.stderr.close()


def _until_up(jupyter_server, timeout: float = 60) -> tuple[str, str]:
    base, token, server = jupyter_server
    deadline = time.monotonic() + timeout
    while True:
        assert server.poll() is None, server.stderr.read()[-3000:]
        try:
            if _get(f"{base}/api/status?token={token}", timeout=5)[0] == 200:
                return base, token
        except OSError:
            pass
        assert time.monotonic() < deadline, f"the Jupyter server did not answer in {timeout} s"
        time.sleep(0.3)


def test_tensorboard_is_reachable_through_the_jupyter_servers_proxy(jupyter_server, served):
    base, token = _until_up(jupyter_server)
    info = served
    proxied = f"{base}/proxy/{info.port}"
    status, body = _get(f"{proxied}/data/runs?token={token}")
    assert status == 200, body[:500]
    assert json.loads(body) == ["tiny_run"]
    status, page = _get(f"{proxied}/?token={token}")
    assert status == 200 and "<tb-webapp>" in page, page[:500]
    # without the token, the proxy sends the browser to Jupyter's login page
    status, location = _get(f"{proxied}/data/runs")
    assert status in (401, 403) or (status == 302 and "/login" in location), (status, location)

    # it listens on loopback only, and so does its data server
    tensorboard = psutil.Process(info.pid)
    listening = [c.laddr for p in [tensorboard, *tensorboard.children(recursive=True)]
                 for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert any(address.port == info.port for address in listening)
    assert all(address.ip in ("127.0.0.1", "::1") for address in listening), listening


def test_binder_start_sets_the_proxy_url_that_the_magic_reads():
    start = ROOT / "binder" / "start"
    for prefix, expected in [(None, "/proxy/%PORT%/"), ("/user/ana-x1y2/", "/user/ana-x1y2/proxy/%PORT%/")]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("JUPYTERHUB_SERVICE_PREFIX", "TENSORBOARD_PROXY_URL")}
        if prefix:
            env["JUPYTERHUB_SERVICE_PREFIX"] = prefix
        done = subprocess.run([str(start), "env"], capture_output=True, text=True, env=env, check=True)
        shown = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
        assert shown["TENSORBOARD_PROXY_URL"] == expected


def test_the_magic_shows_tensorboard_at_the_proxy_address(monkeypatch):
    # tensorboard/notebook.py replaces %PORT% and uses the URL as the frame's address
    from tensorboard import notebook

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    monkeypatch.setenv("TENSORBOARD_PROXY_URL", "/user/ana/proxy/%PORT%/")
    notebook._display_ipython(port=6123, height=800, display_handle=None)
    assert '"/user/ana/proxy/6123/"' in shown[0]


# --- it stops with the process that started it ----------------------------------------------


def _start_in_a_kernel():
    """A real IPython kernel that runs lesson 12's cells: (manager, client, TensorBoard's pid, log folder)."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60)
    try:
        code = (
            "import tfcourse as tfc, json\n"
            "log_root = tfc.temporary_log_folder()\n"
            "tfc.use_tensorboard_launcher()\n"
            "%load_ext tensorboard\n"
            '%tensorboard --logdir "{log_root}" --port 0\n'
            "button = tfc.tensorboard_stop_button(log_root)\n"
            "from tensorboard import manager\n"
            "print(json.dumps([[i.pid for i in manager.get_all() if i.logdir == str(log_root)], "
            "str(log_root)]))\n"
        )
        printed = []
        reply = client.execute_interactive(
            code, timeout=90,
            output_hook=lambda msg: printed.append(msg["content"].get("text", "")),
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        last = [line for line in "".join(printed).splitlines() if line.startswith("[[")][-1]
        (pid,), folder = json.loads(last)
        # a later cell does not stop it (Run All goes on)
        client.execute_interactive("x = 1 + 1", timeout=30)
        return manager, client, pid, Path(folder)
    except BaseException:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        raise


@pytest.mark.parametrize("how", ["killed", "shut down"])
def test_tensorboard_and_the_log_folder_go_when_the_kernel_ends(how):
    manager, client, pid, folder = _start_in_a_kernel()
    tensorboard = None
    try:
        kernel_pid = manager.provisioner.process.pid
        tensorboard = psutil.Process(pid)
        family = [tensorboard, *tensorboard.children(recursive=True)]
        time.sleep(1)
        assert not _ended(tensorboard), "TensorBoard stopped before its kernel did"
        assert kernel_pid in [p.pid for p in tensorboard.parents()]
        assert folder.is_dir()
        if how == "killed":
            os.kill(kernel_pid, signal.SIGKILL)  # as a kernel restart may
            _wait_ended(family, STOPPED_WITHIN)
            assert folder.is_dir()  # a killed kernel cleans nothing up ...
            board.remove_leftover_log_folders()  # ... so the next run does
        else:
            client.stop_channels()
            manager.shutdown_kernel(now=False)  # as JupyterLab's "Shut Down Kernel"
            _wait_ended(family, STOPPED_WITHIN)
        assert not folder.exists()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        if tensorboard is not None:
            _kill_tree(tensorboard.pid)


def test_the_watchdog_stops_tensorboard_where_there_is_no_prctl(tmp_path):
    # the non-Linux way, tried on Linux: the launcher runs TensorBoard as its
    # child and ends it when its own parent is gone
    code = (
        "import json, sys, time\n"
        "from tensorboard import manager\n"
        f"r = manager.start(['--logdir', {str(tmp_path)!r}, '--port', '0'])\n"
        "print(json.dumps(r.info.pid), flush=True)\n"
        "time.sleep(120)\n"
    )
    env = dict(os.environ, TENSORBOARD_BINARY=board.launcher_path(), **{board.WATCH_ENVIRON: "1"})
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    family = []
    try:
        pid = json.loads(parent.stdout.readline())
        tensorboard = psutil.Process(pid)
        launcher = tensorboard.parent()
        assert launcher.ppid() == parent.pid  # parent → launcher → TensorBoard
        family = [launcher, *launcher.children(recursive=True)]
        parent.kill()
        parent.wait()
        _wait_ended(family, STOPPED_WITHIN)
    finally:
        parent.kill()
        parent.stdout.close()
        for p in family:
            _kill_tree(p.pid)


# --- the Stop button -----------------------------------------------------------------------------


def test_the_stop_button_stops_this_processs_tensorboard(logdir, served):
    # last in this file: it stops the module's TensorBoard
    pytest.importorskip("ipywidgets")
    info = served
    box = board.tensorboard_stop_button(logdir)
    button, status = box.children
    assert not button.disabled and str(info.port) in status.value
    assert [i.pid for i in board.running_tensorboards(logdir)] == [info.pid]
    assert board.running_tensorboards(logdir / "elsewhere") == []

    button.click()
    assert not psutil.pid_exists(info.pid)  # stop_tensorboard waited for it
    assert button.disabled and "stopped" in status.value
    from tensorboard import manager

    assert all(i.pid != info.pid for i in manager.get_all())  # it removed its record


def test_no_button_to_press_when_nothing_runs(tmp_path):
    pytest.importorskip("ipywidgets")
    button, status = board.tensorboard_stop_button(tmp_path).children
    assert button.disabled and "No TensorBoard" in status.value


# --- log folders ---------------------------------------------------------------------------------


def test_log_folders_are_removed_when_the_process_ends_even_if_killed(private_tmp):
    code = (
        "import os, signal, sys\n"
        "from tfcourse.board import temporary_log_folder\n"
        "folder = temporary_log_folder()\n"
        "(folder / 'run').mkdir()\n"
        "print(folder, flush=True)\n"
        "if sys.argv[1] == 'kill':\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    ended = subprocess.run([sys.executable, "-c", code, "exit"], capture_output=True, text=True)
    assert ended.returncode == 0, ended.stderr
    assert not Path(ended.stdout.strip()).exists()  # atexit

    killed = subprocess.run([sys.executable, "-c", code, "kill"], capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL
    left = Path(killed.stdout.strip())
    assert left.is_dir() and left.parent == private_tmp
    mine = board.temporary_log_folder()  # the next run clears it
    assert not left.exists()
    assert mine.is_dir() and mine.name.startswith(f"{board.LOG_PREFIX}{os.getpid()}-")


def test_a_running_processs_log_folder_is_kept(private_tmp):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = private_tmp / f"{board.LOG_PREFIX}{sleeper.pid}-abc"
        theirs.mkdir()
        other = private_tmp / f"{board.LOG_PREFIX}notmine"
        other.mkdir()
        board.remove_leftover_log_folders()
        assert theirs.is_dir() and other.is_dir()
    finally:
        sleeper.kill()
        sleeper.wait()
