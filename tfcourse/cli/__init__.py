"""The instructor's command line: ``python -m tfcourse`` (or ``tfcourse``).

    python -m tfcourse doctor          # will the lessons run here? (pass/fail table)
    python -m tfcourse fetch-data      # MNIST and Fashion-MNIST into Keras's cache
    python -m tfcourse fetch-data --from /media/usb/mnist   # a classroom offline
    python -m tfcourse run             # dress rehearsal: every lesson, headless
    python -m tfcourse run 3 05_training_mnist_with_keras.ipynb --timeout 300
    python -m tfcourse site            # the course website, from the rehearsal

One module per command, each with its ``add_subcommand`` and the function it
also offers to Python:

============  ==========================  ==========================================
command       module                      function
============  ==========================  ==========================================
doctor        ``tfcourse/cli/doctor.py``  :func:`check_environment` (rows of checks)
fetch-data    ``tfcourse/cli/fetch.py``   :func:`fetch_data` (what it did, per set)
run           ``tfcourse/cli/run.py``     :func:`run_lessons` (time, memory, errors)
site          ``tfcourse/cli/site.py``    :func:`tfcourse.site.build_site`
============  ==========================  ==========================================

What they share: ``course.py`` (where the course folder, its lessons and the
rehearsal's copies are) and ``_command.py`` (log lines, tables,
:class:`UsageError`). This module builds the parser and runs it (:func:`main`).

``doctor`` exits 1 when a check fails and names the fix; ``fetch-data``,
``run`` and ``site`` exit 1 when a data set or a lesson fails; bad arguments
exit 2 with the usage. Nothing here imports TensorFlow into this process
except a download by ``fetch-data``: ``doctor`` starts TensorFlow in a child
process (a crash there cannot take the doctor down) and ``run`` starts a
Jupyter kernel per lesson.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from tfcourse._validation import expected
from tfcourse.cli import doctor, fetch, run, site
from tfcourse.cli._command import UsageError
from tfcourse.cli.doctor import Check, check_environment
from tfcourse.cli.fetch import FetchResult, fetch_data
from tfcourse.cli.run import LessonRun, run_lessons

__all__ = [  # noqa: RUF022 (results, then functions)
    "Check",
    "FetchResult",
    "LessonRun",
    "UsageError",
    "check_environment",
    "fetch_data",
    "run_lessons",
    "main",
]

PROG = "tfcourse"


def _build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The argument parser of ``tfcourse``: one subcommand per module."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check, prepare and rehearse the tfcourse lessons.",
        epilog=f"Run '{prog} COMMAND --help' for a command's options.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in (doctor, fetch, run, site):
        command.add_subcommand(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = PROG) -> int:
    """Run the command line; return the exit status (0 ok, 1 a check failed, 2 usage).

    ``argv`` defaults to the process's arguments. From Python::

        main(["doctor", "--no-network", "--skip-tensorflow"])   # prints the table; 0 when ready

    A bad argument prints the usage and the error on stderr and exits 2:

        >>> main(["fetch-data", "--dataset", "cifar10"])
        Traceback (most recent call last):
        ...
        SystemExit: 2
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
