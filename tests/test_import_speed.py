"""`import tfcourse` stays under 0.2 s: every notebook and every test starts with it.

Measured in fresh interpreters (a warm import would cost nothing), median of
five, timing only the import itself, not Python's start-up.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

LIMIT_SECONDS = 0.2
RUNS = 5

MEASURE = (
    "import json, sys, time\n"
    "start = time.perf_counter()\n"
    "import tfcourse\n"
    "seconds = time.perf_counter() - start\n"
    "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules]\n"
    "print(json.dumps({'seconds': seconds, 'heavy': heavy}))\n"
)


def _fresh_import() -> dict:
    done = subprocess.run([sys.executable, "-c", MEASURE], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_tfcourse_is_fast_and_light():
    runs = [_fresh_import() for _ in range(RUNS)]
    assert all(run["heavy"] == [] for run in runs), runs
    median = statistics.median(run["seconds"] for run in runs)
    assert median < LIMIT_SECONDS, f"import tfcourse took {median:.3f} s (median of {RUNS}); limit {LIMIT_SECONDS} s"
