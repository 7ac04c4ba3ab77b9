"""``tfcourse site``: the course website, built by :func:`tfcourse.site.build_site`.

    python -m tfcourse site                    # from _build/rehearsal (python -m tfcourse run)
    python -m tfcourse site --execute          # run every lesson first, then build

This module only wires the command to the builder; what the pages hold is
:mod:`tfcourse.site`'s business. Exit status 1 when a lesson stopped on an
error (its page shows it).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tfcourse.cli._command import Log, UsageError


def add_subcommand(commands: Any) -> argparse.ArgumentParser:
    """Add ``site`` to the ``tfcourse`` command line's subcommands."""
    site = commands.add_parser(
        "site", help="build the course website from the executed lessons",
        description="Build a static website (home page = course map, one page per lesson "
                    "with every output, instructor notes, search, launch links) with "
                    "Sphinx, offline. By default from the executed copies in "
                    "_build/rehearsal (python -m tfcourse run).",
    )
    site.add_argument("lessons", nargs="*", metavar="LESSON",
                      help="with --execute: the lessons to run first (default: every lesson)")
    where = site.add_mutually_exclusive_group()
    where.add_argument("--execute", action="store_true",
                       help="run the lessons first (into --from-dir, default _build/rehearsal)")
    where.add_argument("--from-dir", metavar="DIR",
                       help="the folder of executed lessons (default: _build/rehearsal)")
    site.add_argument("--out", metavar="DIR",
                      help="where the site goes (default: _build/site in the course folder)")
    site.add_argument("--allow-unexecuted", action="store_true",
                      help="build pages without outputs for lessons not executed yet")
    site.set_defaults(handler=_handle, subparser=site)
    return site


def _handle(args: argparse.Namespace, log: Log) -> int:
    from tfcourse.site import build_site  # imports no Sphinx until it builds

    if args.from_dir is not None and not Path(args.from_dir).is_dir():
        raise UsageError(f"--from-dir {args.from_dir}: no such folder")
    built = build_site(args.lessons or None, from_dir=args.from_dir, execute=args.execute,
                       output_dir=args.out, allow_unexecuted=args.allow_unexecuted, log=log)
    log(f"\nThe site: {built.index} ({len(built.pages)} lesson pages, {built.seconds:.0f} s)")
    if built.unexecuted:
        log(f"Without outputs (not executed): {', '.join(built.unexecuted)}")
    if built.failed:
        log(f"Lessons that stopped on an error (their page shows it): {', '.join(built.failed)}")
        return 1
    return 0
