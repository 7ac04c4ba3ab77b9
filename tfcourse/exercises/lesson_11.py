"""Exercises of lesson 11 · Scaling out with tf.distribute.

The checkers recompute what a right answer must be: the global batch from the
cluster's sizes in the question, the scaled loss by running the student's
function on per-example losses and comparing with sum / global batch in
NumPy, the ``TF_CONFIG`` with :func:`tfcourse.distributed.make_tf_config`.
TensorFlow is imported only to run the student's function.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from tfcourse.exercises._answers import function_problem, number, type_problem, whole_number
from tfcourse.exercises._core import exercise

__all__: list[str] = []  # the exercises register themselves; nothing to import

# Exercise 11.1: the global batch of a three-machine, twelve-GPU job.
MACHINES_11_1 = 3
GPUS_PER_MACHINE_11_1 = 4
PER_REPLICA_11_1 = 16


@exercise(
    "11.1",
    question=f"A job runs MultiWorkerMirroredStrategy on {MACHINES_11_1} machines with "
    f"{GPUS_PER_MACHINE_11_1} GPUs each, one replica per GPU, and {PER_REPLICA_11_1} examples per "
    "replica in every step. How many examples make one step's global batch? Give a whole number.",
    hints=(
        "The global batch is what ALL replicas consume together in one step, and every GPU of "
        "every machine holds a replica.",
        "replicas in sync = machines × GPUs per machine; global batch = replicas in sync × "
        "examples per replica (section 3's table).",
    ),
)
def _global_batch(answer: Any) -> str | None:
    value, problem = whole_number(answer, what="a batch size", why="a batch holds whole examples.")
    if problem:
        return problem
    replicas = MACHINES_11_1 * GPUS_PER_MACHINE_11_1
    right = replicas * PER_REPLICA_11_1
    if value == right:
        return None
    known = {
        PER_REPLICA_11_1: f"{value} is one replica's share; the global batch is every replica's together.",
        GPUS_PER_MACHINE_11_1 * PER_REPLICA_11_1: (
            f"{value} counts the GPUs of one machine; the replicas of all "
            f"{MACHINES_11_1} machines stay in sync."),
        MACHINES_11_1 * PER_REPLICA_11_1: (
            f"{value} counts one replica per machine; each machine has {GPUS_PER_MACHINE_11_1} "
            "GPUs, and each GPU holds a replica."),
        replicas: f"{value} is the number of replicas; multiply by the examples each one gets.",
    }
    return known.get(value, f"{value} is not the global batch: replicas in sync × examples per replica.")


# Exercise 11.2: the loss each replica differentiates.
_CASES_11_2 = (
    (np.array([0.5, 1.0, 1.5, 2.0], np.float32), 8),
    (np.array([2.0, 0.25, 0.75], np.float32), 12),
)


@exercise(
    "11.2",
    question="Write replica_loss(per_example_losses, global_batch_size): the loss one replica "
    "differentiates, so that adding up every replica's gradient gives the gradient of the mean "
    "loss over the global batch. The answer is the function itself.",
    hints=(
        "The all-reduce ADDS UP the replicas' gradients, so the replicas' losses must add up to "
        "the mean over the whole global batch, not each be a mean of its own.",
        "Add up this replica's per-example losses with tf.reduce_sum, then divide by "
        "global_batch_size rather than by this replica's own number of examples "
        "(section 4's compute_average_loss does the same).",
    ),
)
def _replica_loss(answer: Any) -> str | None:
    problem = function_problem(answer, name="replica_loss")
    if problem:
        return problem
    import tensorflow as tf

    for losses, global_batch in _CASES_11_2:
        try:
            result = answer(tf.constant(losses), global_batch)
        except Exception as err:
            return (f"Calling your function with {len(losses)} per-example losses and "
                    f"global_batch_size={global_batch} raised {type(err).__name__}: {err}")
        value, problem = number(result, what="a loss", through_numpy=True)
        if problem:
            return f"Your function should return one number (the replica's loss). {problem}"
        right = float(losses.sum()) / global_batch
        if np.isclose(value, right, rtol=1e-5):
            continue
        if np.isclose(value, losses.mean(), rtol=1e-5):
            return ("Your function divides by this replica's own number of examples. The all-reduce "
                    "adds up the replicas' gradients, so with that mean the update is as many times "
                    "too large as there are replicas: divide by global_batch_size.")
        if np.isclose(value, losses.sum(), rtol=1e-5):
            return "Your function adds up the losses but does not divide: divide by global_batch_size."
        if np.isclose(value, losses.mean() / global_batch, rtol=1e-5):
            return "Your function divides twice: take the sum of the losses, then divide by global_batch_size."
        return (f"For the losses {losses.tolist()} and global_batch_size={global_batch} the replica's "
                f"loss is {right:.4f}, but your function returned {value:.4f}.")
    return None


# Exercise 11.3: the TF_CONFIG of one machine of three.
ADDRESSES_11_3 = ("10.0.0.1:2222", "10.0.0.2:2222", "10.0.0.3:2222")
MACHINE_11_3 = 3  # counted from 1 in the question, as people count machines


@exercise(
    "11.3",
    question=f"A cluster has three worker machines, at {', '.join(ADDRESSES_11_3)} (in this order). "
    f"Write the TF_CONFIG of machine number {MACHINE_11_3}, the one at "
    f"{ADDRESSES_11_3[MACHINE_11_3 - 1]}, as a Python dict (or its JSON text).",
    hints=(
        'TF_CONFIG has two parts: "cluster", which describes the whole cluster and is the same on '
        'every machine, and "task", which says which machine this one is.',
        '"cluster" maps "worker" to the list of all addresses in the given order; "task" has a '
        '"type" ("worker") and an "index": this machine\'s position in that list, counted from 0.',
    ),
)
def _tf_config(answer: Any) -> str | None:
    from tfcourse.distributed import make_tf_config

    if isinstance(answer, str):
        try:
            answer = json.loads(answer)
        except ValueError as err:
            return f"Your text is not valid JSON ({err}); a Python dict is easier: {{'cluster': ...}}."
    if not isinstance(answer, dict):
        return type_problem('a dict like {"cluster": {...}, "task": {...}}', answer)
    right = make_tf_config(list(ADDRESSES_11_3), MACHINE_11_3 - 1)
    if answer == right:
        return None
    missing = [key for key in right if key not in answer]
    if missing:
        return f'TF_CONFIG needs both "cluster" and "task"; yours has no {" or ".join(repr(k) for k in missing)}.'
    cluster, task = answer["cluster"], answer["task"]
    if cluster != right["cluster"]:
        workers = cluster.get("worker") if isinstance(cluster, dict) else None
        if isinstance(workers, (list, tuple)) and sorted(workers) == sorted(ADDRESSES_11_3) \
                and list(workers) != list(ADDRESSES_11_3):
            return ("Every machine must list the workers in the same order: the order decides "
                    "which machine is worker 0, 1 and 2.")
        if isinstance(workers, (list, tuple)) and list(workers) == [ADDRESSES_11_3[MACHINE_11_3 - 1]]:
            return ('"cluster" describes the whole cluster, the same on every machine: all three '
                    "addresses, not only this machine's.")
        return ('"cluster" should map "worker" to a list of every worker\'s address, in the '
                "order given, the same on every machine.")
    if not isinstance(task, dict):
        return type_problem('"task" as a dict like {"type": "worker", "index": 0}', task)
    if task.get("type") != "worker":
        return (f'The task type is "worker" for all three machines (worker 0 also does the chief\'s '
                f'jobs); yours says {task.get("type")!r}.')
    index = task.get("index")
    if index == MACHINE_11_3:
        return (f"Indexes count from 0 (the first machine is worker 0), so machine number "
                f"{MACHINE_11_3} is not worker {MACHINE_11_3}.")
    return (f'"task" should say which worker this machine is: its position in the "worker" list, '
            f"counted from 0; yours says index={index!r}.")
