"""How long `import tfcourse` takes, in fresh interpreters.

    python benchmarks/import_time.py            # median of 20 fresh imports
    python benchmarks/import_time.py --runs 50

Every notebook and every test starts with ``import tfcourse as tfc``; the
import loads one module and no third-party package (tests/test_import.py
checks that), so it should cost about a millisecond. Printed beside it, for
scale: Python's own start-up and ``import tensorflow``, each in a fresh
interpreter, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

MEASURE = (
    "import json, time\n"
    "start = time.perf_counter()\n"
    "import {module}\n"
    "print(json.dumps(time.perf_counter() - start))\n"
)


def import_seconds(module: str, runs: int) -> list[float]:
    """Seconds to import ``module`` in each of ``runs`` fresh interpreters."""
    times = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", MEASURE.format(module=module)],
                              capture_output=True, text=True, check=True)
        times.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="fresh interpreters per module")
    args = parser.parse_args(argv)
    rows = [("tfcourse", import_seconds("tfcourse", args.runs)),
            ("tensorflow (for scale)", import_seconds("tensorflow", max(3, args.runs // 5)))]
    print(f"{'import':<26}{'median ms':>11}{'min ms':>9}{'max ms':>9}{'runs':>6}")
    for name, times in rows:
        print(f"{name:<26}{statistics.median(times) * 1e3:>11.2f}{min(times) * 1e3:>9.2f}"
              f"{max(times) * 1e3:>9.2f}{len(times):>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
