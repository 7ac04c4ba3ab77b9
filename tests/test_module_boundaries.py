"""Each tfcourse module keeps its private names to itself.

A name that starts with an underscore is a module's own business: it may
change with no notice. Another module that used it would break silently, so
where a module needs another's logic, that logic gets a public name. Modules
whose own name starts with an underscore (``_validation``, ``_plotting``,
``_processes`` ...) are the package's shared rooms and are exempt.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tfcourse"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_shared_room(module: str) -> bool:
    """``tfcourse._validation`` or ``tfcourse.exercises._core``: private rooms."""
    return module.rsplit(".", 1)[-1].startswith("_")


def _same_family(importer: str, imported: str) -> bool:
    """A package and its own submodules may share private names."""
    if importer == imported:
        return True
    return imported.startswith(importer + ".") or importer.startswith(imported + ".")


def private_uses(path: Path, package: Path = PACKAGE) -> list[str]:
    """Every ``from tfcourse.m import _x`` and ``tfcourse_module._x`` in one file."""
    importer = _module_name(path, package)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    uses: list[str] = []
    aliases: dict[str, str] = {}  # local name -> tfcourse module it refers to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("tfcourse"):
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if alias.name.startswith("_") and not _is_shared_room(node.module) \
                        and not _same_family(importer, node.module):
                    uses.append(f"line {node.lineno}: from {node.module} import {alias.name}")
                aliases[alias.asname or alias.name] = full
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tfcourse"):
                    # "import tfcourse.curves" binds the name "tfcourse"
                    top = alias.name.split(".")[0]
                    aliases[alias.asname or top] = alias.name if alias.asname else top
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.startswith("__"):
            base = node.value
            dotted = []
            while isinstance(base, ast.Attribute):
                dotted.append(base.attr)
                base = base.value
            if not isinstance(base, ast.Name) or base.id not in aliases:
                continue
            module = ".".join([aliases[base.id], *reversed(dotted)])
            if not _is_shared_room(module) and not _same_family(importer, module):
                uses.append(f"line {node.lineno}: {module}.{node.attr}")
    return uses


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_module_uses_no_other_modules_private_names(path):
    uses = private_uses(path)
    assert not uses, (
        f"{path.relative_to(PACKAGE.parent)} reaches into other modules' private names:\n  "
        + "\n  ".join(uses)
        + "\nGive that logic a public name in its module, or move it to a shared "
        "underscore module (tfcourse/_*.py)."
    )


def test_the_checker_sees_a_private_import(tmp_path):
    """The check above can fail: planted private uses are reported."""
    probe = tmp_path / "tfcourse" / "probe.py"
    probe.parent.mkdir()
    probe.write_text("from tfcourse.data import _SPECS\nimport tfcourse.curves\n"
                     "x = tfcourse.curves._VALIDATION_PREFIX\n"
                     "from tfcourse._validation import expected\n", encoding="utf-8")
    uses = private_uses(probe, probe.parent)
    assert uses == ["line 1: from tfcourse.data import _SPECS",
                    "line 3: tfcourse.curves._VALIDATION_PREFIX"], uses


def test_no_module_is_longer_than_800_lines():
    long_modules = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in SOURCES
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert not long_modules, f"split these modules by job: {long_modules}"


def test_the_package_map_names_every_module():
    """tfcourse/README.md says which room holds what: a new module must appear there."""
    text = (PACKAGE / "README.md").read_text(encoding="utf-8")
    missing = [str(path.relative_to(PACKAGE)) for path in SOURCES
               if path.name not in ("__init__.py", "__main__.py")
               and f"`{path.name}`" not in text and f"`{path.parent.name}/`" not in text]
    assert not missing, f"tfcourse/README.md does not mention {missing}"
