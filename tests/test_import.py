"""`import tfcourse` stays light: no TensorFlow, no matplotlib, and fast."""

from __future__ import annotations

import json
import subprocess
import sys

import tfcourse


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_import_pulls_in_no_heavy_library():
    code = (
        "import sys, json, tfcourse as tfc; "
        "print(json.dumps([m for m in ('tensorflow', 'keras', 'matplotlib', 'ipywidgets') "
        "if m in sys.modules]))"
    )
    assert json.loads(_fresh(code)) == []


def test_every_exported_name_resolves():
    for name in tfcourse.__all__:
        assert getattr(tfcourse, name) is not None, name


def test_unknown_name_is_a_clear_attribute_error():
    try:
        tfcourse.load_cifar
    except AttributeError as err:
        assert "load_cifar" in str(err)
    else:
        raise AssertionError("expected AttributeError")
