"""Training on several machines, rehearsed on one: a local multi-worker cluster.

Lesson 11 trains the course's 784-128-10 network with
``tf.distribute.MultiWorkerMirroredStrategy`` in two *processes* that talk to
each other over the loopback network (127.0.0.1), the way two machines of a
real cluster would talk over theirs. This module holds the plumbing:

- :func:`make_tf_config` builds the ``TF_CONFIG`` description each worker
  reads (a pure function);
- :func:`pick_free_ports` finds ports nobody listens on;
- :func:`run_local_cluster` writes each worker's shard of the data and the job
  to a temporary folder, has a supervisor start the workers in a network that
  holds only loopback (Linux) and stop every one of them on error, on timeout
  or when the caller dies, and collects what each one reported in a
  :class:`ClusterResult` (the fences themselves are in ``_processes``);
- the worker program itself (``python -m tfcourse.distributed worker``), whose
  training step, :func:`make_train_step`, is the lesson's subject: lesson 03's
  ``GradientTape`` step, run on every replica by ``strategy.run``.

Keras 3's ``model.fit`` does not work under MultiWorkerMirroredStrategy
(keras-team/keras#20585), so the workers use a hand-written loop, which does.

Nothing here imports TensorFlow at module level: the notebook side only
starts processes and reads files; the workers import TensorFlow themselves.

In a lesson (a sketch: it starts two worker processes, which takes a while)::

    result = tfc.run_local_cluster(2, data=(x[:4000], y[:4000]), epochs=2)
    result.workers_agree  # True
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tfcourse._processes import network_isolation_problem, stop_all
from tfcourse._validation import check_positive_int, expected

__all__ = [
    "ClusterResult",
    "ClusterTimeoutError",
    "NetworkExposureError",
    "WorkerFailedError",
    "WorkerReport",
    "make_distributed_dataset",
    "make_tf_config",
    "make_train_step",
    "network_isolation_problem",
    "run_local_cluster",
]

LOOPBACK = "127.0.0.1"
JOB_FILE = "job.json"
DATA_FILE = "data_{index}.npz"  # one shard per worker
SPEC_FILE = "supervisor.json"
STATUS_FILE = "outcome.json"
WEIGHTS_FILE = "weights.npz"
# The worker's program, as a command; run_local_cluster appends --workdir and --index.
DEFAULT_WORKER_COMMAND = (sys.executable, "-m", "tfcourse.distributed", "worker")
LOG_TAIL_LINES = 25
# How long a worker may take to exit after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 5.0


class WorkerFailedError(RuntimeError):
    """A worker process of a local cluster exited with an error."""


class ClusterTimeoutError(TimeoutError):
    """A local cluster did not finish in time; all its workers were stopped."""


# --- TF_CONFIG and ports: pure helpers ---------------------------------------


def _check_address(address: Any) -> None:
    ok = isinstance(address, str) and address.count(":") == 1
    if ok:
        host, port = address.split(":")
        ok = bool(host) and port.isdigit() and 0 < int(port) < 65536
    if not ok:
        raise ValueError(expected('an address "host:port" with a port from 1 to 65535',
                                  "address", address))


def make_tf_config(workers: Sequence[str], index: int) -> dict[str, Any]:
    """The ``TF_CONFIG`` of worker number ``index`` in a cluster of ``workers``.

    Every machine of a cluster gets the same ``cluster`` part (the addresses of
    all workers, in the same order) and its own ``task`` part (which of them it
    is). Worker 0 is the *chief*: it also writes checkpoints and logs. The
    environment variable holds this dict as JSON: ``json.dumps(config)``.

    Example:
        >>> make_tf_config(["10.0.0.1:2222", "10.0.0.2:2222"], 1)
        {'cluster': {'worker': ['10.0.0.1:2222', '10.0.0.2:2222']}, 'task': {'type': 'worker', 'index': 1}}
    """
    if isinstance(workers, str) or not isinstance(workers, Sequence) or not workers:
        raise TypeError(expected('a non-empty list of addresses like ["127.0.0.1:2222", ...]',
                                 "workers", workers))
    for address in workers:
        _check_address(address)
    if len(set(workers)) != len(workers):
        raise ValueError(expected("each worker at its own address", "workers", workers))
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(expected("a whole number", "index", index))
    if not 0 <= index < len(workers):
        raise ValueError(expected(f"an index from 0 to {len(workers) - 1} (counting from 0)",
                                  "index", index))
    return {"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}}


def pick_free_ports(count: int, *, host: str = LOOPBACK) -> list[int]:
    """``count`` different TCP ports that nothing listens on right now.

    The operating system picks them (bind to port 0). All sockets stay open
    until every port is picked, so the ports differ. Another program could
    still take one before a worker binds it; a run then fails and is retried.

    Example:
        >>> ports = pick_free_ports(2)
        >>> len(set(ports))
        2
    """
    check_positive_int("count", count)
    if host not in (LOOPBACK, "localhost"):
        raise ValueError(expected(f'the loopback address "{LOOPBACK}"', "host", host,
                                  hint="Local clusters only listen on this machine."))
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


# --- What the workers report ---------------------------------------------------


@dataclass
class WorkerReport:
    """What one worker did, epoch by epoch (read from the file it wrote).

    ``losses`` are the average loss on this worker's own examples;
    ``global_losses`` the average over every worker's (the same number on
    all workers); ``checksums`` a SHA-256 of all the model's weights after
    each epoch; ``examples`` how many examples this worker trained on;
    ``example_ids`` which ones (positions in the data) in the first epoch.
    """

    index: int
    replicas_in_sync: int
    examples: list[int]
    losses: list[float]
    global_losses: list[float]
    checksums: list[str]
    weight_sums: list[float]
    example_ids: list[int]
    seconds: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkerReport:
        names = cls.__dataclass_fields__
        return cls(**{name: data[name] for name in names})


@dataclass
class ClusterResult:
    """Everything a finished local cluster reported.

    Attributes:
        workers: one :class:`WorkerReport` per worker, in index order.
        weights: the chief's (worker 0's) final weights, ready for ``model.set_weights``.
        logs: each worker's output (stdout and stderr), by index.
        seconds: wall-clock time of the whole run, start-up included.
        tf_configs: the ``TF_CONFIG`` each worker was given.
    """

    workers: list[WorkerReport]
    weights: list[np.ndarray]
    logs: list[str]
    seconds: float
    tf_configs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.workers[0].checksums) if self.workers else 0

    @property
    def workers_agree(self) -> bool:
        """True when every worker ended every epoch with bit-identical weights."""
        return all(w.checksums == self.workers[0].checksums for w in self.workers)

    def rows(self) -> list[dict[str, Any]]:
        """One row per worker and epoch: the table that the repr shows."""
        return [
            {"worker": w.index, "epoch": epoch + 1, "examples": w.examples[epoch],
             "loss on its examples": w.losses[epoch], "loss on all examples": w.global_losses[epoch],
             "weights checksum": w.checksums[epoch][:12]}
            for w in self.workers for epoch in range(len(w.checksums))
        ]

    def to_text(self) -> str:
        rows = self.rows()
        if not rows:
            return "ClusterResult (no workers)"
        headers = list(rows[0])
        cells = [[_cell(row[h]) for h in headers] for row in rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(cell, widths)) for cell in cells]
        verdict = "identical" if self.workers_agree else "DIFFERENT"
        lines.append(f"{len(self.workers)} workers, {self.epochs} epochs in {self.seconds:.1f} s; "
                     f"weights after each epoch: {verdict} on every worker")
        return "\n".join(lines)

    __str__ = to_text

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        rows = self.rows()
        if not rows:
            return "<p>ClusterResult (no workers)</p>"
        head = "".join(f"<th>{html.escape(h)}</th>" for h in rows[0])
        body = "".join(
            "<tr>" + "".join(f"<td><code>{html.escape(_cell(v))}</code></td>" if k == "weights checksum"
                             else f"<td>{html.escape(_cell(v))}</td>" for k, v in row.items()) + "</tr>"
            for row in rows
        )
        verdict = "identical" if self.workers_agree else "<b>different</b>"
        return (f"<table><tr>{head}</tr>{body}</table><p>{len(self.workers)} workers, "
                f"{self.epochs} epochs in {self.seconds:.1f} s; weights after each epoch: "
                f"{verdict} on every worker</p>")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# --- Running a local cluster -----------------------------------------------------


def _check_data(data: Any) -> tuple[np.ndarray, np.ndarray]:
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(expected("data=(x, y): a pair of arrays", "data", data))
    x, y = (np.asarray(part) for part in data)
    if x.ndim < 2 or len(x) == 0 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(expected("x: a float array with one example per row", "x", x,
                                  hint="Load it with normalize=True, or divide by np.float32(255)."))
    if not np.isfinite(x).all():
        raise ValueError(expected("x: finite numbers (no NaN or infinity)", "x", x,
                                  hint=f"{int((~np.isfinite(x)).sum()):,} values are not finite: "
                                       "check how the data was made."))
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ValueError(expected(f"y: {len(x)} class numbers (whole numbers from 0), one per row of x",
                                  "y", y))
    return x.astype(np.float32, copy=False), y.astype(np.int32, copy=False)


def _check_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value <= 0:
        raise ValueError(expected("a positive number", name, value))
    return float(value)


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join("    " + line for line in kept) or "    (no output)"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


class NetworkExposureError(PermissionError):
    """The workers cannot be fenced onto loopback here, and exposure was not allowed."""


def _exposure_message(reason: str, timeout: float) -> str:
    """What a run without the loopback fence exposes, and for how long."""
    return (
        f"The workers cannot be fenced onto this machine's loopback network here ({reason}). "
        "TensorFlow's gRPC workers listen on every network interface, whatever host TF_CONFIG "
        "names, and accept anyone who connects: no password, no encryption "
        "(tensorflow/tensorflow#11689). While they train (at most timeout="
        f"{timeout:g} s), any machine that can reach this one could reach two of its TCP ports."
    )


def run_local_cluster(
    num_workers: int = 2,
    *,
    data: tuple[np.ndarray, np.ndarray],
    epochs: int = 3,
    batch_size_per_worker: int = 32,
    learning_rate: float = 0.01,
    hidden_units: int = 128,
    seed: int = 42,
    timeout: float = 120,
    workdir: str | os.PathLike[str] | None = None,
    worker_command: Sequence[str] | None = None,
    allow_network_exposure: bool = False,
) -> ClusterResult:
    """Train the course's network on ``num_workers`` local worker processes.

    Each worker is a separate Python process on this machine with its own
    ``TF_CONFIG`` (addresses on 127.0.0.1) running
    ``MultiWorkerMirroredStrategy`` and the hand-written loop of
    :func:`make_train_step`: plain SGD, ``batch_size_per_worker`` examples per
    worker and step, a Dense(``hidden_units``, relu) and a Dense softmax layer.
    Workers run on the CPU with one thread each (two processes sharing one GPU
    would fight over its memory).

    **Kept on this machine.** TensorFlow's workers listen on every network
    interface, so on Linux they run inside a network of their own that holds
    only loopback (user and network namespaces): no other machine can reach
    them. Where that fence is not available (macOS, Windows, some containers)
    the run is refused with :class:`NetworkExposureError`, saying what would be
    exposed and for how long, unless ``allow_network_exposure=True``.

    **Nothing outlives the call.** A supervisor process starts the workers and
    stops them all at the first that fails, at ``timeout`` seconds, or as soon
    as this process dies (even by SIGKILL); each worker also dies with the
    supervisor and has its own deadline. Each worker reads only its own shard
    of ``(x, y)``, from a file in a temporary folder that is removed at the end
    (a failed run keeps its logs there, not the data), unless ``workdir`` was
    given. Errors: :class:`WorkerFailedError` (with the end of its log),
    :class:`ClusterTimeoutError`.

    ``worker_command`` replaces the worker program (tests use it to fake a
    worker that hangs); ``--workdir DIR --index I`` is appended to it.

    In a lesson (a sketch: it starts two worker processes)::

        result = tfc.run_local_cluster(2, data=(x_train[:4000], y_train[:4000]), epochs=2)
        [w.examples for w in result.workers]  # [[2000, 2000], [2000, 2000]]
    """
    check_positive_int("num_workers", num_workers)
    x, y = _check_data(data)
    check_positive_int("epochs", epochs)
    check_positive_int("batch_size_per_worker", batch_size_per_worker)
    learning_rate = _check_number("learning_rate", learning_rate)
    check_positive_int("hidden_units", hidden_units)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(expected("a whole number", "seed", seed))
    timeout = _check_number("timeout", timeout)
    if not isinstance(allow_network_exposure, bool):
        raise TypeError(expected("True or False", "allow_network_exposure", allow_network_exposure))
    if worker_command is None:
        command = list(DEFAULT_WORKER_COMMAND)
    elif isinstance(worker_command, str) or not isinstance(worker_command, Sequence) or \
            not worker_command or not all(isinstance(part, str) for part in worker_command):
        raise TypeError(expected("a command as a non-empty list of strings", "worker_command",
                                 worker_command))
    else:
        command = list(worker_command)
    global_batch = batch_size_per_worker * num_workers
    if len(x) < global_batch:
        raise ValueError(expected(f"at least one global batch: {global_batch} examples "
                                  f"({num_workers} workers × {batch_size_per_worker})",
                                  "data", x))
    fence_problem = network_isolation_problem()
    if fence_problem is not None:
        message = _exposure_message(fence_problem, timeout)
        if not allow_network_exposure:
            raise NetworkExposureError(
                f"{message} Fix: run on Linux with user namespaces allowed, or pass "
                "allow_network_exposure=True on a network you trust.")
        warnings.warn(message + " Running anyway: allow_network_exposure=True.", stacklevel=2)

    own_dir = workdir is None
    folder = Path(tempfile.mkdtemp(prefix="tfcourse-cluster-")) if own_dir else Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    # Each worker gets only its shard (every num_workers-th example), as each
    # machine of a real cluster reads its own part of the data.
    shard_files = []
    for index in range(num_workers):
        shard = folder / DATA_FILE.format(index=index)
        np.savez(shard, ids=np.arange(index, len(x), num_workers), x=x[index::num_workers],
                 y=y[index::num_workers])
        shard_files.append(str(shard))
    # Every worker must take the same number of steps: they all-reduce at each one.
    steps_per_epoch = len(x) // global_batch
    job = {"num_workers": num_workers, "epochs": epochs, "batch_size_per_worker": batch_size_per_worker,
           "learning_rate": learning_rate, "hidden_units": hidden_units, "seed": seed,
           "num_classes": int(y.max()) + 1, "steps_per_epoch": steps_per_epoch}
    (folder / JOB_FILE).write_text(json.dumps(job, indent=1), encoding="utf-8")

    addresses = [f"{LOOPBACK}:{port}" for port in pick_free_ports(num_workers)]
    configs = [make_tf_config(addresses, index) for index in range(num_workers)]
    log_paths = [folder / f"worker_{index}.log" for index in range(num_workers)]
    status_path = folder / STATUS_FILE
    spec = {
        "workers": [
            {"argv": [*command, "--workdir", str(folder), "--index", str(index)],
             "env": dict(os.environ, TF_CONFIG=json.dumps(config), TF_CPP_MIN_LOG_LEVEL="2",
                         CUDA_VISIBLE_DEVICES="-1", PYTHONUNBUFFERED="1"),
             "log": str(log_paths[index])}
            for index, config in enumerate(configs)
        ],
        "deadline": timeout, "grace": STOP_GRACE_SECONDS, "status": str(status_path),
        "remove": shard_files, "remove_if_stopped": [str(folder)] if own_dir else [],
    }
    (folder / SPEC_FILE).write_text(json.dumps(spec), encoding="utf-8")
    supervisor_command = [sys.executable, "-m", "tfcourse._processes", "supervise",
                          "--parent-pid", str(os.getpid()), "--spec", str(folder / SPEC_FILE)]
    if fence_problem is None:
        supervisor_command.append("--isolate-network")
    start = time.monotonic()
    failed = True
    with open(folder / "supervisor.log", "wb") as log:
        supervisor = subprocess.Popen(supervisor_command, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:  # the supervisor keeps the deadline itself; this is the net under it
            supervisor.wait(timeout=timeout + STOP_GRACE_SECONDS + 30)
        except subprocess.TimeoutExpired:
            stop_all([supervisor], grace=STOP_GRACE_SECONDS)
        _raise_for_outcome(status_path, log_paths, folder, timeout)
        reports = []
        for index in range(num_workers):
            report_path = folder / f"worker_{index}.json"
            if not report_path.exists():
                raise WorkerFailedError(
                    f"Worker {index} finished without writing its report ({report_path.name}). "
                    f"The end of its log:\n{_tail(_read(log_paths[index]))}")
            reports.append(WorkerReport.from_dict(json.loads(report_path.read_text(encoding="utf-8"))))
        with np.load(folder / WEIGHTS_FILE) as saved:
            weights = [saved[f"w{i}"] for i in range(len(saved.files))]
        failed = False
        return ClusterResult(workers=reports, weights=weights,
                             logs=[_read(path) for path in log_paths],
                             seconds=time.monotonic() - start, tf_configs=configs)
    finally:
        stop_all([supervisor], grace=STOP_GRACE_SECONDS)  # a no-op once it has exited
        for shard in shard_files:  # the data copy never stays behind
            Path(shard).unlink(missing_ok=True)
        if own_dir and not failed:
            shutil.rmtree(folder, ignore_errors=True)


def _raise_for_outcome(status_path: Path, log_paths: list[Path], folder: Path, timeout: float) -> None:
    """Raise the error the supervisor's outcome calls for, with the logs that explain it."""
    try:
        outcome = json.loads(status_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise WorkerFailedError(
            f"The cluster's supervisor ended without an outcome. Logs are in {folder}. "
            f"The end of its log:\n{_tail(_read(folder / 'supervisor.log'))}") from None
    count = len(log_paths)
    if outcome["failed"] is not None:
        index = outcome["failed"]
        raise WorkerFailedError(
            f"Worker {index} of {count} failed (exit code {outcome['exit_codes'][index]}); all "
            f"workers were stopped. Logs are in {folder}. The end of worker {index}'s log:\n"
            f"{_tail(_read(log_paths[index]))}")
    if outcome["timed_out"] or outcome["stopped"]:
        tails = "\n".join(f"  worker {i}:\n{_tail(_read(path), 8)}" for i, path in enumerate(log_paths))
        raise ClusterTimeoutError(
            f"The cluster did not finish within timeout={timeout:g} s: stopped all {count} "
            f"workers. A worker waits for the others at every step, so one that is slow or "
            f"stuck holds up all. Logs are in {folder}. The end of each worker's log:\n{tails}")


# --- The worker program ---------------------------------------------------------


def make_train_step(strategy, model, optimizer, global_batch_size: int):
    """Lesson 03's training step, run on every replica of ``strategy`` at once.

    Returns a ``tf.function`` that takes one distributed batch ``(x, y)`` and
    returns the loss over the global batch and this worker's summed loss and
    example count.

    Inside a worker (a sketch: ``strategy``, ``model`` and ``iterator`` come from it)::

        train_step = make_train_step(strategy, model, optimizer, global_batch_size=64)
        loss, local_loss_sum, local_count = train_step(next(iterator))
    """
    import keras
    import tensorflow as tf

    per_example_loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction=None)

    def step_on_one_replica(x, y):
        # The same step as lesson 03, on this replica's share of the global batch.
        with tf.GradientTape() as tape:
            probabilities = model(x, training=True)
            per_example_loss = per_example_loss_fn(y, probabilities)
            # Divide by the GLOBAL batch size, not this replica's: the gradients
            # of all replicas are summed below, and the sum must be a mean.
            loss = tf.nn.compute_average_loss(per_example_loss, global_batch_size=global_batch_size)
        gradients = tape.gradient(loss, model.trainable_variables)
        # Under a strategy the optimizer first all-reduces (sums) the gradients
        # of every replica on every worker, then applies the same update everywhere.
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss, tf.reduce_sum(per_example_loss), tf.shape(y)[0]

    @tf.function
    def distributed_train_step(x, y):
        loss, loss_sum, count = strategy.run(step_on_one_replica, args=(x, y))
        global_loss = strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)  # across all replicas
        local_loss_sum = tf.add_n(strategy.experimental_local_results(loss_sum))  # this worker only
        local_count = tf.add_n(strategy.experimental_local_results(count))
        return global_loss, local_loss_sum, local_count

    return distributed_train_step


def make_distributed_dataset(strategy, ids: np.ndarray, x: np.ndarray, y: np.ndarray, *,
                             batch_size_per_replica: int, steps_per_epoch: int, seed: int):
    """This worker's shard as ``(ids, x, y)`` batches, one batch per replica and step.

    Each worker holds only its own part of the data, as each machine of a real
    cluster reads its own files, so nothing needs cutting up:
    ``distribute_datasets_from_function`` builds this pipeline once on every
    worker and hands each of the worker's replicas one batch per step. Every
    worker must take the same number of steps, since they all-reduce their
    gradients at each one: ``steps_per_epoch`` is fixed for all of them.
    ``ids`` are the examples' positions in the whole data set, so a worker can
    tell which ones it trained on.

    Inside a worker (a sketch: ``strategy`` and the arrays come from it)::

        dist = make_distributed_dataset(strategy, ids, x, y, batch_size_per_replica=32,
                                        steps_per_epoch=62, seed=42)
        ids_batch, x_batch, y_batch = next(iter(dist))
    """
    import tensorflow as tf

    def shard_pipeline(context: tf.distribute.InputContext) -> tf.data.Dataset:
        batches = steps_per_epoch * context.num_replicas_in_sync // context.num_input_pipelines
        return (tf.data.Dataset.from_tensor_slices((ids, x, y))
                .shuffle(len(x), seed=seed + context.input_pipeline_id, reshuffle_each_iteration=True)
                .batch(batch_size_per_replica, drop_remainder=True)
                .take(batches))

    return strategy.distribute_datasets_from_function(shard_pipeline)


def _checksum(weights: Sequence[np.ndarray]) -> str:
    digest = hashlib.sha256()
    for array in weights:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def train_worker(folder: Path, index: int) -> dict[str, Any]:
    """The worker program: build the strategy, the data, the model, and train.

    Reads ``TF_CONFIG`` from the environment and the job from ``folder``;
    writes its report to ``folder/worker_<index>.json`` (the chief, worker 0,
    also saves the final weights).
    """
    from tfcourse._tensorflow import import_tensorflow

    tf = import_tensorflow()  # no C++ start-up lines in the worker's log
    # Two workers share this machine's cores: one thread each avoids a tug of war.
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    job = json.loads((folder / JOB_FILE).read_text(encoding="utf-8"))
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING))  # NCCL is for GPUs
    import keras

    keras.utils.set_random_seed(job["seed"])
    with np.load(folder / DATA_FILE.format(index=index)) as saved:  # this worker's shard only
        ids, x, y = saved["ids"], saved["x"], saved["y"]
    dist_dataset = make_distributed_dataset(strategy, ids, x, y,
                                            batch_size_per_replica=job["batch_size_per_worker"],
                                            steps_per_epoch=job["steps_per_epoch"], seed=job["seed"])
    with strategy.scope():  # variables made here are mirrored on every worker
        model = keras.Sequential([
            keras.Input(shape=x.shape[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(job["hidden_units"], activation="relu"),
            keras.layers.Dense(job["num_classes"], activation="softmax"),
        ])
        optimizer = keras.optimizers.SGD(learning_rate=job["learning_rate"])
    global_batch = job["batch_size_per_worker"] * strategy.num_replicas_in_sync
    train_step = make_train_step(strategy, model, optimizer, global_batch)

    report: dict[str, Any] = {"index": index, "replicas_in_sync": strategy.num_replicas_in_sync,
                              "examples": [], "losses": [], "global_losses": [], "checksums": [],
                              "weight_sums": [], "example_ids": []}
    start = time.perf_counter()
    for epoch in range(job["epochs"]):
        global_losses, loss_sum, count = [], 0.0, 0
        for batch_ids, x_batch, y_batch in dist_dataset:
            global_loss, local_loss_sum, local_count = train_step(x_batch, y_batch)
            global_losses.append(float(global_loss))
            loss_sum += float(local_loss_sum)
            count += int(local_count)
            if epoch == 0:
                for part in strategy.experimental_local_results(batch_ids):
                    report["example_ids"].extend(int(i) for i in part.numpy())
        weights = [np.asarray(w.numpy()) for w in model.weights]
        report["examples"].append(count)
        report["losses"].append(loss_sum / max(count, 1))
        report["global_losses"].append(float(np.mean(global_losses)))
        report["checksums"].append(_checksum(weights))
        report["weight_sums"].append(float(sum(np.sum(w, dtype=np.float64) for w in weights)))
        print(f"worker {index} · epoch {epoch + 1}: trained on {count} examples, "
              f"loss {report['losses'][-1]:.4f}", flush=True)
    report["seconds"] = time.perf_counter() - start
    if index == 0:  # the chief saves the model, as on a real cluster
        np.savez(folder / WEIGHTS_FILE, **{f"w{i}": w for i, w in enumerate(weights)})
    (folder / f"worker_{index}.json").write_text(json.dumps(report), encoding="utf-8")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tfcourse.distributed worker --workdir DIR --index I``."""
    parser = argparse.ArgumentParser(prog="python -m tfcourse.distributed",
                                     description="A worker of tfcourse's local cluster (lesson 11).")
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="run one worker; TF_CONFIG says which")
    worker.add_argument("--workdir", type=Path, required=True)
    worker.add_argument("--index", type=int, required=True)
    args = parser.parse_args(argv)
    if "TF_CONFIG" not in os.environ:
        parser.error("TF_CONFIG is not set: start workers with tfcourse.distributed.run_local_cluster")
    train_worker(args.workdir, args.index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
