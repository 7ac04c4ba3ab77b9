"""TensorFlow, imported late and quietly: the one place that knows how.

``import tfcourse`` never imports TensorFlow; the helpers that need it call
:func:`import_tensorflow` inside the function (env's ``setup_device``, the
environment report, the distributed worker), and code that lets Keras start
TensorFlow (a data set download) wraps it in :func:`quiet_start`.

Why it takes more than ``TF_CPP_MIN_LOG_LEVEL``: TF 2.21 logs through absl
before absl is initialised, and such lines ignore the variable ("oneDNN custom
operations are on", "Could not find cuda drivers"). C++ writes them to file
descriptor 2, which a notebook shows as a red wall in the Setup cell (and
nbval as stray output), so the descriptor itself is silenced while TensorFlow
starts. Python errors still surface: they are raised as exceptions, after the
descriptor is restored.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any


def quiet_tensorflow_logs() -> None:
    """Ask TensorFlow's C++ side for warnings and errors only (unless already set).

    Processes started afterwards (a Jupyter kernel, a worker) inherit it.

    Example:
        >>> quiet_tensorflow_logs()
        >>> os.environ["TF_CPP_MIN_LOG_LEVEL"] in {"0", "1", "2", "3"}
        True
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def quiet_start() -> Iterator[None]:
    """Silence file descriptor 2 while TensorFlow starts inside the ``with`` block.

    Does nothing more than :func:`quiet_tensorflow_logs` once TensorFlow is
    imported: later C++ lines (a real warning) are worth seeing.

    Example:
        >>> with quiet_start():
        ...     pass  # import tensorflow here
    """
    quiet_tensorflow_logs()
    if "tensorflow" in sys.modules:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (some embedded consoles)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow() -> Any:
    """The ``tensorflow`` module, started quietly, its devices already listed.

    Listing the devices is part of the start: CUDA's lines ("Could not find
    cuda drivers", cuInit) come then, so they fall inside the silence too.

    Example (plain text: starting TensorFlow takes seconds)::

        tf = import_tensorflow()
        tf.config.list_physical_devices("GPU")   # cached: no new log lines
    """
    with quiet_start():
        import tensorflow as tf

        tf.config.list_physical_devices()
    return tf
