"""tfcourse.distributed: TF_CONFIG, ports, and a local multi-worker cluster that cleans up after itself.

One test starts a real two-worker cluster (MultiWorkerMirroredStrategy on
127.0.0.1, tiny data, one epoch); the others use fake worker commands, so
timeouts and failures are checked in seconds without TensorFlow.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from tfcourse import distributed
from tfcourse.distributed import (
    ClusterResult,
    ClusterTimeoutError,
    WorkerFailedError,
    WorkerReport,
    make_tf_config,
    pick_free_ports,
    run_local_cluster,
)


def tiny_data(n=192, features=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, features), dtype=np.float32)
    y = np.argmax(x[:, :classes], axis=1).astype(np.int64)  # learnable: the largest of the first features
    return x, y


def fake_worker(body: str) -> list[str]:
    """A worker command running ``body`` with ``workdir`` and ``index`` read from its arguments."""
    prelude = textwrap.dedent("""
        import os, sys, time
        from pathlib import Path
        workdir = Path(sys.argv[sys.argv.index("--workdir") + 1])
        index = int(sys.argv[sys.argv.index("--index") + 1])
        (workdir / f"pid_{index}").write_text(str(os.getpid()))
    """)
    return [sys.executable, "-c", prelude + textwrap.dedent(body)]


def recorded_pids(folder, count):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        files = [folder / f"pid_{i}" for i in range(count)]
        if all(f.exists() and f.read_text() for f in files):
            return [int(f.read_text()) for f in files]
        time.sleep(0.05)
    raise AssertionError("the fake workers did not start")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --- TF_CONFIG ------------------------------------------------------------------


def test_tf_config_names_every_worker_and_this_task():
    workers = ["127.0.0.1:2001", "127.0.0.1:2002", "127.0.0.1:2003"]
    for index in range(3):
        config = make_tf_config(workers, index)
        assert config["cluster"] == {"worker": workers}
        assert config["task"] == {"type": "worker", "index": index}
        assert json.loads(json.dumps(config)) == config  # what the environment variable holds


def test_tf_config_copies_the_list():
    workers = ["127.0.0.1:2001", "127.0.0.1:2002"]
    config = make_tf_config(workers, 0)
    workers.append("127.0.0.1:2003")
    assert len(config["cluster"]["worker"]) == 2


@pytest.mark.parametrize(
    ("workers", "index", "error", "phrase"),
    [
        ([], 0, TypeError, "non-empty list"),
        ("127.0.0.1:2001", 0, TypeError, "non-empty list"),
        (["127.0.0.1"], 0, ValueError, "host:port"),
        (["127.0.0.1:0"], 0, ValueError, "1 to 65535"),
        (["127.0.0.1:70000"], 0, ValueError, "1 to 65535"),
        ([":2001"], 0, ValueError, "host:port"),
        ([2001], 0, ValueError, "host:port"),
        (["127.0.0.1:2001", "127.0.0.1:2001"], 0, ValueError, "its own address"),
        (["127.0.0.1:2001", "127.0.0.1:2002"], 2, ValueError, "from 0 to 1"),
        (["127.0.0.1:2001", "127.0.0.1:2002"], -1, ValueError, "from 0 to 1"),
        (["127.0.0.1:2001"], True, TypeError, "whole number"),
        (["127.0.0.1:2001"], "0", TypeError, "whole number"),
    ],
)
def test_tf_config_bad_arguments(workers, index, error, phrase):
    with pytest.raises(error, match="Expected") as info:
        make_tf_config(workers, index)
    assert phrase in str(info.value) and "Received" in str(info.value)


# --- ports ------------------------------------------------------------------------


def test_free_ports_differ_and_can_be_bound_on_loopback():
    ports = pick_free_ports(3)
    assert len(set(ports)) == 3 and all(1024 <= p < 65536 for p in ports)
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))  # free: binding works


@pytest.mark.parametrize("count, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError),
                                          (True, TypeError), ("2", TypeError)])
def test_free_ports_bad_count(count, error):
    with pytest.raises(error, match="Expected a positive whole number"):
        pick_free_ports(count)


def test_free_ports_accept_numpy_integers():
    assert len(pick_free_ports(np.int64(2))) == 2


def test_free_ports_only_on_loopback():
    with pytest.raises(ValueError, match="loopback"):
        pick_free_ports(1, host="0.0.0.0")


# --- a real cluster ------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    x, y = tiny_data()
    folder = tmp_path_factory.mktemp("cluster")
    start = time.monotonic()
    result = run_local_cluster(2, data=(x, y), epochs=1, batch_size_per_worker=16, hidden_units=8,
                               learning_rate=0.1, timeout=90, workdir=folder)
    return result, x, y, folder, time.monotonic() - start


def test_a_real_cluster_trains_on_both_workers_and_they_agree(real_run):
    result, x, _, _, seconds = real_run
    assert seconds < 60
    assert [w.index for w in result.workers] == [0, 1]
    assert all(w.replicas_in_sync == 2 for w in result.workers)  # one replica per worker
    steps = len(x) // (16 * 2)
    assert [w.examples for w in result.workers] == [[steps * 16], [steps * 16]]
    ids = [set(w.example_ids) for w in result.workers]
    assert len(ids[0]) == len(ids[1]) == steps * 16
    assert not ids[0] & ids[1], "the two workers' shards overlap"
    assert ids[0] | ids[1] <= set(range(len(x)))
    assert result.workers_agree and len(result.workers[0].checksums[0]) == 64
    assert result.workers[0].global_losses == result.workers[1].global_losses  # all-reduced: one number
    assert all(np.isfinite(w.losses[0]) and w.losses[0] > 0 for w in result.workers)


def test_a_real_cluster_returns_the_chiefs_weights(real_run):
    result, x, *_ = real_run
    shapes = [w.shape for w in result.weights]
    assert shapes == [(x.shape[1], 8), (8,), (8, 3), (3,)]
    total = sum(float(np.sum(w, dtype=np.float64)) for w in result.weights)
    assert total == pytest.approx(result.workers[0].weight_sums[-1], rel=1e-6)
    assert distributed._checksum(result.weights) == result.workers[0].checksums[-1]


def test_a_real_cluster_keeps_logs_configs_and_a_readable_table(real_run):
    result, _, _, folder, _ = real_run
    assert "worker 1 · epoch 1" in result.logs[1]
    ports = {int(c["cluster"]["worker"][i].split(":")[1]) for i, c in enumerate(result.tf_configs)}
    assert len(ports) == 2
    assert all(c["cluster"]["worker"][0].startswith("127.0.0.1:") for c in result.tf_configs)
    assert [c["task"]["index"] for c in result.tf_configs] == [0, 1]
    text = result.to_text()
    assert "identical on every worker" in text and len(text.splitlines()) == 1 + 2 + 1
    assert "<table>" in result._repr_html_()
    assert (folder / "worker_0.json").exists()  # a given workdir is kept


# --- timeouts and failures, with fake workers -----------------------------------------


def test_a_hanging_worker_is_stopped_at_the_timeout(tmp_path):
    command = fake_worker("print('waiting for the others', flush=True); time.sleep(120)")
    start = time.monotonic()
    with pytest.raises(ClusterTimeoutError, match=r"within timeout=1 s") as info:
        run_local_cluster(2, data=tiny_data(), timeout=1, workdir=tmp_path, worker_command=command)
    assert time.monotonic() - start < 15
    assert "waiting for the others" in str(info.value)  # the end of the logs is in the message
    assert isinstance(info.value, TimeoutError)
    for pid in recorded_pids(tmp_path, 2):
        assert not alive(pid), f"worker {pid} is still running"


def test_a_worker_that_ignores_sigterm_is_killed(tmp_path, monkeypatch):
    monkeypatch.setattr(distributed, "STOP_GRACE_SECONDS", 0.5)
    command = fake_worker("""
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(120)
    """)
    with pytest.raises(ClusterTimeoutError):
        run_local_cluster(2, data=tiny_data(), timeout=1, workdir=tmp_path, worker_command=command)
    for pid in recorded_pids(tmp_path, 2):
        assert not alive(pid)


def test_a_failing_worker_stops_the_others_and_shows_its_log(tmp_path):
    command = fake_worker("""
        if index == 1:
            time.sleep(0.5)
            print("Traceback: something broke in worker one", file=sys.stderr, flush=True)
            sys.exit(3)
        time.sleep(120)
    """)
    start = time.monotonic()
    with pytest.raises(WorkerFailedError, match="Worker 1 of 2 failed") as info:
        run_local_cluster(2, data=tiny_data(), timeout=60, workdir=tmp_path, worker_command=command)
    assert time.monotonic() - start < 20
    message = str(info.value)
    assert "exit code 3" in message and "something broke in worker one" in message
    assert str(tmp_path) in message
    for pid in recorded_pids(tmp_path, 2):
        assert not alive(pid)


def test_a_worker_that_writes_no_report_is_an_error(tmp_path):
    command = fake_worker("print('done, but forgot the report')")
    with pytest.raises(WorkerFailedError, match="without writing its report"):
        run_local_cluster(2, data=tiny_data(), timeout=30, workdir=tmp_path, worker_command=command)


def test_workers_get_their_own_tf_config_and_the_job(tmp_path):
    command = fake_worker("""
        import json
        import numpy as np
        with np.load(workdir / f"data_{index}.npz") as shard:
            data = {"ids": shard["ids"].tolist(), "x": str(shard["x"].dtype), "y": str(shard["y"].dtype)}
        (workdir / f"seen_{index}.json").write_text(json.dumps({
            "tf_config": json.loads(os.environ["TF_CONFIG"]),
            "job": json.loads((workdir / "job.json").read_text()),
            "data": data,
            "gpus": os.environ.get("CUDA_VISIBLE_DEVICES")}))
    """)
    with pytest.raises(WorkerFailedError):  # no report: but each worker saw its set-up first
        run_local_cluster(2, data=tiny_data(classes=3), epochs=2, timeout=30, workdir=tmp_path,
                          worker_command=command)
    seen = [json.loads((tmp_path / f"seen_{i}.json").read_text()) for i in range(2)]
    assert [s["tf_config"]["task"]["index"] for s in seen] == [0, 1]
    assert seen[0]["tf_config"]["cluster"] == seen[1]["tf_config"]["cluster"]
    assert seen[0]["job"]["epochs"] == 2 and seen[0]["job"]["num_classes"] == 3
    assert seen[0]["gpus"] == "-1"
    assert seen[0]["job"]["steps_per_epoch"] == len(tiny_data()[0]) // (32 * 2)
    # Each worker reads its own shard only: every other example, float32 and int32.
    assert seen[0]["data"]["ids"] == list(range(0, 192, 2)) and seen[1]["data"]["ids"] == list(range(1, 192, 2))
    assert seen[0]["data"]["x"] == "float32" and seen[0]["data"]["y"] == "int32"
    assert not list(tmp_path.glob("data_*.npz")), "the shards are removed when the run ends"


def test_a_failed_run_in_a_temporary_folder_keeps_the_logs_but_not_the_data(monkeypatch, tmp_path):
    monkeypatch.setattr(distributed.tempfile, "mkdtemp", lambda prefix: str(tmp_path / "run"))
    command = fake_worker("sys.exit(1)")
    with pytest.raises(WorkerFailedError):
        run_local_cluster(2, data=tiny_data(), timeout=30, worker_command=command)
    assert (tmp_path / "run" / "worker_0.log").exists()
    assert not list((tmp_path / "run").glob("data_*.npz"))


# --- bad arguments -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "phrase"),
    [
        ({"num_workers": 0}, ValueError, "num_workers"),
        ({"num_workers": 2.0}, TypeError, "num_workers"),
        ({"data": np.zeros((10, 4), np.float32)}, TypeError, "a pair of arrays"),
        ({"data": (np.zeros((64, 4), np.float32),)}, TypeError, "a pair of arrays"),
        ({"data": (np.zeros((64, 4), np.uint8), np.zeros(64, np.int64))}, ValueError, "float array"),
        ({"data": (np.zeros(64, np.float32), np.zeros(64, np.int64))}, ValueError, "float array"),
        ({"data": (np.zeros((64, 4), np.float32), np.zeros(63, np.int64))}, ValueError, "64 class numbers"),
        ({"data": (np.zeros((64, 4), np.float32), np.zeros(64, np.float32))}, ValueError, "class numbers"),
        ({"data": (np.zeros((64, 4), np.float32), -np.ones(64, np.int64))}, ValueError, "class numbers"),
        ({"data": (np.zeros((63, 4), np.float32), np.zeros(63, np.int64))}, ValueError, "one global batch"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"batch_size_per_worker": -32}, ValueError, "batch_size_per_worker"),
        ({"learning_rate": 0}, ValueError, "learning_rate"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
        ({"hidden_units": 0}, ValueError, "hidden_units"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"timeout": -1}, ValueError, "timeout"),
        ({"worker_command": "python worker.py"}, TypeError, "list of strings"),
        ({"worker_command": []}, TypeError, "list of strings"),
        ({"worker_command": ["python", 3]}, TypeError, "list of strings"),
    ],
)
def test_bad_arguments_fail_before_anything_starts(kwargs, error, phrase, tmp_path):
    arguments = {"data": (np.zeros((64, 4), np.float32), np.zeros(64, np.int64)), "workdir": tmp_path}
    arguments.update(kwargs)
    num_workers = arguments.pop("num_workers", 2)
    with pytest.raises(error, match="Expected") as info:
        run_local_cluster(num_workers, **arguments)
    assert phrase in str(info.value)
    assert not list(tmp_path.iterdir()), "nothing is written before the arguments are checked"


# --- the result and the worker program ----------------------------------------------


def report(index, checksums):
    return WorkerReport(index=index, replicas_in_sync=2, examples=[10] * len(checksums),
                        losses=[1.0] * len(checksums), global_losses=[1.0] * len(checksums),
                        checksums=checksums, weight_sums=[0.0] * len(checksums), example_ids=[],
                        seconds=1.0)


def test_workers_that_end_an_epoch_differently_do_not_agree():
    same = ClusterResult([report(0, ["a" * 64, "b" * 64]), report(1, ["a" * 64, "b" * 64])], [], ["", ""], 1.0)
    differ = ClusterResult([report(0, ["a" * 64, "b" * 64]), report(1, ["a" * 64, "c" * 64])], [], ["", ""], 1.0)
    assert same.workers_agree and same.epochs == 2
    assert not differ.workers_agree and "DIFFERENT" in differ.to_text()


def test_the_worker_program_needs_tf_config(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    done = subprocess.run([sys.executable, "-m", "tfcourse.distributed", "worker", "--workdir", str(tmp_path),
                           "--index", "0"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and "TF_CONFIG is not set" in done.stderr


# --- safe by default: loopback only, nothing left running ---------------------------


def _needs_network_fence():
    problem = distributed.network_isolation_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI machines must allow the loopback-only fence: {problem}")
        pytest.skip(f"no loopback-only network here: {problem}")


def test_workers_reach_each_other_on_loopback_and_nobody_reaches_them(tmp_path):
    _needs_network_fence()
    # Worker 0 listens on every interface, as TensorFlow's gRPC server does;
    # worker 1 connects to it through the cluster's 127.0.0.1 address.
    command = fake_worker("""
        import json, socket
        port = int(json.loads(os.environ["TF_CONFIG"])["cluster"]["worker"][0].split(":")[1])
        if index == 0:
            server = socket.create_server(("0.0.0.0", port))
            (workdir / "listening").write_text(str(port))
            server.settimeout(20)
            connection, _ = server.accept()
            (workdir / "accepted").write_text(connection.recv(16).decode())
            time.sleep(2)
        else:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as peer:
                        peer.sendall(b"hello")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            time.sleep(2)
    """)
    import threading

    outcome = {}

    def run():
        try:
            run_local_cluster(2, data=tiny_data(), timeout=40, workdir=tmp_path, worker_command=command)
        except WorkerFailedError as err:  # the fake workers write no report
            outcome["error"] = str(err)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while not (tmp_path / "listening").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    port = int((tmp_path / "listening").read_text())
    addresses = ["127.0.0.1"]
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # this machine's own address
            probe.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent by connect() on UDP
            addresses.append(probe.getsockname()[0])
    except OSError:
        pass
    for address in addresses:
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=2).close()
    thread.join(60)
    assert (tmp_path / "accepted").read_text() == "hello", "the workers could not reach each other"
    assert "without writing its report" in outcome["error"]


_CALLER = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from test_distributed import fake_worker, tiny_data
    from tfcourse.distributed import run_local_cluster
    command = fake_worker("print('waiting', flush=True); time.sleep(300)")
    run_local_cluster(2, data=tiny_data(), timeout=300, worker_command=command)
""")


def test_killing_the_caller_leaves_no_worker_and_no_folder(tmp_path):
    _needs_network_fence()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    caller = subprocess.Popen([sys.executable, "-c", _CALLER, str(Path(__file__).parent)],
                              env=dict(os.environ, TMPDIR=str(scratch)))
    try:
        deadline = time.monotonic() + 30
        pid_files = []
        while len(pid_files) < 2 and time.monotonic() < deadline:
            pid_files = [p for p in scratch.glob("tfcourse-cluster-*/pid_*") if p.read_text()]
            time.sleep(0.05)
        assert len(pid_files) == 2, "the fake workers did not start"
        pids = [int(p.read_text()) for p in pid_files]
        caller.kill()  # SIGKILL: no finally, no atexit in the caller
        caller.wait()
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in pids if alive(pid)], "a worker outlived its caller by 10 s"
        while list(scratch.glob("tfcourse-cluster-*")) and time.monotonic() < deadline + 5:
            time.sleep(0.1)
        assert not list(scratch.glob("tfcourse-cluster-*")), "the cluster's folder was left behind"
    finally:
        caller.kill()


def test_without_a_network_fence_the_run_is_refused_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.setattr(distributed, "network_isolation_problem", lambda: "no user namespaces here")
    monkeypatch.setattr(distributed.tempfile, "mkdtemp", lambda prefix: pytest.fail("nothing may start"))
    with pytest.raises(distributed.NetworkExposureError) as info:
        run_local_cluster(2, data=tiny_data(), timeout=30)
    message = str(info.value)
    for words in ("no user namespaces here", "every network interface", "timeout=30 s",
                  "allow_network_exposure=True", "tensorflow/tensorflow#11689"):
        assert words in message
    command = fake_worker("print('ran')")
    with pytest.warns(UserWarning, match="Running anyway"), pytest.raises(WorkerFailedError):
        run_local_cluster(2, data=tiny_data(), timeout=30, workdir=tmp_path, worker_command=command,
                          allow_network_exposure=True)
    assert "ran" in (tmp_path / "worker_0.log").read_text()
    with pytest.raises(TypeError, match="allow_network_exposure"):
        run_local_cluster(2, data=tiny_data(), allow_network_exposure="yes")


def test_a_fenced_command_ends_at_its_own_deadline():
    from tfcourse._processes import fenced_command

    start = time.monotonic()
    done = subprocess.run(fenced_command([sys.executable, "-c", "import time; time.sleep(60)"],
                                         os.getpid(), deadline=1), timeout=30)
    assert done.returncode == -14  # SIGALRM
    assert time.monotonic() - start < 10


def test_a_fenced_command_whose_parent_is_gone_does_not_start(tmp_path):
    from tfcourse._processes import fenced_command

    marker = tmp_path / "ran"
    done = subprocess.run(fenced_command([sys.executable, "-c", f"open({str(marker)!r}, 'w')"],
                                         parent_pid=1), timeout=30)  # not its parent
    assert done.returncode == 1 and not marker.exists()
