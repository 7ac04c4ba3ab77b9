"""`import tfcourse` stays light, and every public name has one home and one spelling.

Every notebook and every test starts with ``import tfcourse as tfc``: it must
not start TensorFlow (the lesson's Setup chooses the device first) nor
matplotlib. Each public name ``tfc.X`` is looked up lazily in the module that
defines it; the table that maps names to modules (``tfcourse._EXPORTS``) is
checked here against the modules' own ``__all__``, so the two cannot drift.
How long the import takes is measured in ``benchmarks/import_time.py``.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tfcourse

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("tensorflow", "keras", "matplotlib", "ipywidgets", "ipycanvas")


def _fresh(code: str, env: dict | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


# What each import (or light call) may load: none of the heavy libraries.
LIGHT = {
    "import tfcourse": "import tfcourse",
    "lazy names looked up, nothing called": (
        "import tfcourse as tfc\nfor name in ('load_mnist', 'plot_history', 'check', 'setup_device'):\n"
        "    getattr(tfc, name)"),
    # (not live: LiveCurves is a Keras callback, so its module imports Keras)
    "the plotting modules": "import tfcourse.curves, tfcourse.weights, tfcourse.predictions",
    "the explorers": "import tfcourse.widgets",
    "the command line": "import tfcourse.cli",
    "the local cluster": "import tfcourse.distributed",
    "a parameter table worked out": (
        "import tfcourse.params as p\nt = p.mlp_parameter_table(784, [128], 10)\n"
        "assert t.total == 101_770\nstr(t); t._repr_html_()"),
}


@pytest.mark.parametrize("code", LIGHT.values(), ids=LIGHT.keys())
def test_stays_light(code):
    check = (f"{code}\nimport sys, json\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert json.loads(_fresh(check)) == []


def test_import_tfcourse_loads_nothing_outside_the_standard_library():
    """Why the import is fast: it loads one module and no third-party package."""
    code = ("import sys, json\nbefore = set(sys.modules)\nimport tfcourse\n"
            "new = sorted(set(sys.modules) - before)\n"
            "print(json.dumps([m for m in new if m.split('.')[0] not in sys.stdlib_module_names]))")
    assert json.loads(_fresh(code)) == ["tfcourse"]


def test_the_light_check_can_fail():
    """The check above sees a heavy import (so its passing means something)."""
    code = ("import json, sys, matplotlib\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert json.loads(_fresh(code)) == ["matplotlib"]


def _public_modules() -> list[str]:
    """Every module named in ``_EXPORTS``."""
    return sorted(set(tfcourse._EXPORTS.values()))


@pytest.mark.parametrize("module_name", _public_modules())
def test_exports_agree_with_the_module_all(module_name):
    """``tfc`` exports exactly what each module lists in ``__all__``, from that module."""
    module = importlib.import_module(f"tfcourse.{module_name}")
    exported = sorted(name for name, home in tfcourse._EXPORTS.items() if home == module_name)
    if module_name.startswith("_"):
        # a shared private room (tfcourse._language) lends tfc only some of its names
        assert set(exported) <= set(module.__all__), exported
        return
    assert exported == sorted(module.__all__), (
        f"tfcourse._EXPORTS and tfcourse.{module_name}.__all__ disagree: "
        f"only in _EXPORTS {sorted(set(exported) - set(module.__all__))}, "
        f"only in __all__ {sorted(set(module.__all__) - set(exported))}")


@pytest.mark.parametrize("name", tfcourse.__all__)
def test_every_exported_name_is_its_modules_object(name):
    module = importlib.import_module(f"tfcourse.{tfcourse._EXPORTS[name]}")
    value = getattr(tfcourse, name)
    assert value is getattr(module, name)
    home = getattr(value, "__module__", None)
    if home is not None and callable(value):
        assert home.startswith("tfcourse"), f"tfc.{name} is {home}.{name}, not the course's own"


def test_unknown_name_is_a_clear_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'load_cifar'"):
        tfcourse.load_cifar  # noqa: B018 (the look-up is the test)


# tfc.<module>.<name> works only after something imported that module: one spelling, tfc.<name>.
SUBMODULE_SPELLING = re.compile(r"\btfc\.(?!exercises\b|site\b)([a-z_]+)\.([A-Za-z_]\w*)")


def _texts():
    for path in [*sorted((ROOT / "lessons").rglob("*.ipynb")), ROOT / "README.md",
                 ROOT / "lessons" / "README.md", *sorted((ROOT / "tests").glob("*.py"))]:
        if path.name != Path(__file__).name:
            yield path


@pytest.mark.parametrize("path", list(_texts()), ids=lambda p: str(p.relative_to(ROOT)))
def test_one_spelling_per_public_name(path):
    text = path.read_text(encoding="utf-8")
    found = sorted({".".join(m.groups()) for m in SUBMODULE_SPELLING.finditer(text)
                    if m.group(1) in set(tfcourse._EXPORTS.values())})
    assert not found, (
        f"{path.relative_to(ROOT)} spells names through their module: "
        + ", ".join(f"tfc.{f}" for f in found)
        + ". Write tfc.<name> (export it in its module's __all__ if it is not).")
