"""``python -m tfcourse``: the instructor's command line (see :mod:`tfcourse.cli`)."""

import sys

from tfcourse.cli import main

sys.exit(main(prog="python -m tfcourse"))
