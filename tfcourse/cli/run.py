"""``tfcourse run``: the instructor's dress rehearsal, every lesson executed headless.

    python -m tfcourse run                      # every lesson, in order
    python -m tfcourse run 3 05_training_mnist_with_keras.ipynb --timeout 300

Each lesson runs in a fresh Jupyter kernel started in the lessons' folder
(as a student's would); the executed copy and an HTML page go to
``_build/rehearsal/`` (never over the lessons), with a progress line per cell
and a summary of wall time and peak memory (the kernel and every process it
started, summed PSS, as a container counts it). Exit status 1 when a lesson
fails. :func:`run_lessons` does the same from Python.
"""

from __future__ import annotations

import argparse
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from tfcourse._tensorflow import quiet_tensorflow_logs
from tfcourse._validation import check_path, expected
from tfcourse.cli._command import Log, UsageError, as_log, format_table
from tfcourse.cli.course import (
    LESSON_PATTERN,
    REHEARSAL_FOLDER,
    course_root,
    lesson_files,
    lessons_folder,
)
from tfcourse.env import process_tree_memory

__all__ = ["LessonRun", "run_lessons"]

DEFAULT_CELL_TIMEOUT_S = 600.0
KERNEL_STARTUP_TIMEOUT_S = 120.0
MEMORY_SAMPLE_EVERY_S = 0.2


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


def _resolve_lesson(text: str, folder: Path | None) -> Path:
    """A lesson named by number ("3"), file name or path."""
    if text.isdigit():
        if folder is None:
            raise UsageError(expected("a lesson file or path (no lessons folder here)",
                                      "lesson", text, hint="Run from the course folder."))
        numbers = {int(LESSON_PATTERN.match(p.name)[1]): p for p in lesson_files(folder)}
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

    Example (not run here: a lesson takes a minute or more)::

        from tfcourse.cli import run_lessons
        [(r.lesson.name, r.status) for r in run_lessons([2], log=None)]
        # [('02_the_low_level_api.ipynb', 'ok')]
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(expected("a number of seconds", "timeout", timeout))
    if not 0 < timeout < math.inf:
        raise ValueError(expected("a positive, finite number of seconds", "timeout", timeout))
    say = as_log(log)
    if not isinstance(keep_going, bool):
        raise TypeError(expected("True or False", "keep_going", keep_going))
    if lessons is not None and (isinstance(lessons, (str, bytes, os.PathLike))
                                or not isinstance(lessons, Sequence)):
        raise TypeError(expected("a list of lesson numbers, names or paths, or None",
                                 "lessons", lessons, hint="Use [3] for one lesson."))
    folder = lessons_folder()
    if lessons is None or len(lessons) == 0:
        if folder is None:
            raise UsageError("No lessons folder found: run from the course folder "
                             "(the one holding lessons/), or name the notebooks.")
        paths = lesson_files(folder)
    else:
        paths = []
        for item in lessons:
            if isinstance(item, bool) or not isinstance(item, (int, str, os.PathLike)):
                raise TypeError(expected("a lesson number, file name or path", "lessons", item))
            paths.append(_resolve_lesson(os.fspath(item) if not isinstance(item, int)
                                         else str(item), folder))
    if output_dir is None:
        root = course_root() or Path.cwd()
        output_dir = root / REHEARSAL_FOLDER
    else:
        output_dir = check_path("output_dir", output_dir, "a folder path or None")
    output = _check_output(Path(output_dir), paths)
    # Kernels inherit this environment: keep TensorFlow's C++ start-up lines out of the pages.
    quiet_tensorflow_logs()
    return [_run_one(path, output, float(timeout), say, keep_going=keep_going)
            for path in paths]


def _format_memory(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1024**3:.2f} GiB"


def _handle(args: argparse.Namespace, log: Log) -> int:
    runs = run_lessons(args.lessons, output_dir=args.output, timeout=args.timeout,
                       keep_going=args.keep_going, log=log)
    log("")
    log(format_table(("lesson", "status", "time", "peak memory (summed PSS)"),
                     [(r.lesson.name, r.status, f"{r.seconds:.1f} s",
                       _format_memory(r.peak_memory_bytes)) for r in runs]))
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


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def add_subcommand(commands: Any) -> argparse.ArgumentParser:
    """Add ``run`` to the ``tfcourse`` command line's subcommands."""
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
                     help=f"where the executed copies go (default: {REHEARSAL_FOLDER}/ in the "
                          "course folder; never the lessons folder)")
    run.add_argument("--timeout", type=_positive_seconds, default=DEFAULT_CELL_TIMEOUT_S,
                     metavar="S", help=f"seconds allowed per cell (default: "
                                       f"{DEFAULT_CELL_TIMEOUT_S:g})")
    run.add_argument("--keep-going", action="store_true",
                     help="run every cell even after an error (the lesson still fails)")
    run.set_defaults(handler=_handle, subparser=run)
    return run
