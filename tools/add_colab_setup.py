"""Make every lesson open on Colab: the install snippet in Setup, and a Colab badge.

    python tools/add_colab_setup.py              # every lessons/NN_*.ipynb, in place
    python tools/add_colab_setup.py --check      # exit 1 if a lesson needs it (CI)
    python tools/add_colab_setup.py some/copy.ipynb other.ipynb

For each notebook:

- the code cell after "## Setup" starts with :data:`tfcourse.site.COLAB_SETUP`
  (inserted, or replaced by the current text when an older one is there): where
  ``tfcourse`` is missing, as on Colab, it pip-installs the course package,
  quietly; where it is installed, it does nothing;
- the first cell's Binder badge line gets an "Open in Colab" badge beside it
  (or the one there is brought up to date).

Running it again changes nothing. The snippet's text lives in one place,
``tfcourse/site.py``; change it there and run this tool.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tfcourse.site import (  # noqa: E402 (after the path set-up)
    BINDER_BADGE,
    COLAB_BADGE,
    COLAB_SETUP,
    COLAB_SETUP_FIRST_LINE,
    colab_url,
)

COLAB_LINK = re.compile(
    r"\s*\[!\[[^\]]*\]\(" + re.escape(COLAB_BADGE) + r"\)\]\(https://colab\.research\.google\.com/[^)]*\)"
)


def _source(cell: dict) -> str:
    value = cell.get("source", "")
    return "".join(value) if isinstance(value, list) else value


def colab_badge(lesson: str) -> str:
    """The Markdown of a lesson's "Open in Colab" badge."""
    return f"[![Open in Colab]({COLAB_BADGE})]({colab_url(lesson)})"


def with_setup_snippet(code: str) -> str:
    """A Setup cell's code with the current snippet at its top (once)."""
    lines = code.split("\n")
    if COLAB_SETUP_FIRST_LINE in lines:
        start = lines.index(COLAB_SETUP_FIRST_LINE)
        end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
        rest = lines[:start] + lines[end:]
        while rest and not rest[0].strip():
            rest.pop(0)
        code = "\n".join(rest)
    return COLAB_SETUP + "\n" + code if code.strip() else COLAB_SETUP.rstrip("\n")


def with_colab_badge(markdown: str, lesson: str) -> str:
    """The first cell with a Colab badge right after its Binder badge."""
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if BINDER_BADGE in line:
            line = COLAB_LINK.sub("", line).rstrip()
            lines[i] = f"{line} {colab_badge(lesson)}"
            return "\n".join(lines)
    raise ValueError(f"{lesson}: the first cell has no Binder badge to put the Colab badge beside")


def update_notebook(notebook: dict, lesson: str) -> bool:
    """Add or refresh the snippet and the badge in a notebook dict; True if it changed."""
    cells = notebook["cells"]
    setup_at = next((i for i, cell in enumerate(cells)
                     if cell["cell_type"] == "markdown" and _source(cell).startswith("## Setup")), None)
    if setup_at is None or setup_at + 1 >= len(cells) or cells[setup_at + 1]["cell_type"] != "code":
        raise ValueError(f"{lesson}: no code cell after a '## Setup' heading")
    before = [_source(cells[0]), _source(cells[setup_at + 1])]
    cells[0]["source"] = with_colab_badge(before[0], lesson)
    cells[setup_at + 1]["source"] = with_setup_snippet(before[1])
    return [cells[0]["source"], cells[setup_at + 1]["source"]] != before


def update_file(path: Path, *, check: bool = False) -> bool:
    """Update one notebook file in place (not with check=True); True if it (would have) changed."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    changed = update_notebook(notebook, path.name)
    if changed and not check:
        # as tools/clean_notebooks.py writes them, so the diff is only these lines
        path.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to update (default: every lessons/NN_*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook lacks the snippet or badge")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    changed = [path for path in paths if update_file(path, check=args.check)]
    for path in changed:
        print(f"{'needs the Colab set-up' if args.check else 'updated'}: {path}")
    if not changed:
        print(f"{len(paths)} notebooks already have the Colab set-up and badge.")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
