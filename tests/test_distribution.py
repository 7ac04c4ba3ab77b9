"""The package as a real distribution, and the Colab path into it, offline.

- ``python -m build`` makes an sdist and a wheel; each installs into a clean
  virtual environment (no system site-packages, no tfcourse) and passes a
  smoke test: ``import tfcourse``, ``python -m tfcourse --help``, the
  metadata, the website's assets.
- The Colab snippet (``tfcourse.site.COLAB_SETUP``) installs tfcourse where it
  is missing, from the wheel given in ``TFCOURSE_SOURCE``, and goes on; where
  tfcourse imports, it does nothing. And lesson 01, with the snippet put in by
  tools/add_colab_setup.py, runs top to bottom in an environment that has
  every library but tfcourse (as Colab has): its Setup cell installs tfcourse.

No network: the build uses this environment's setuptools (``--no-isolation``),
pip runs with ``--no-index``, and NumPy (tfcourse's one dependency) reaches the
clean environments through a ``.pth`` file naming a folder that holds only
NumPy and pip (and setuptools, to build the sdist), linked from this
environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tfcourse.site import COLAB_SETUP

ROOT = Path(__file__).resolve().parents[1]
PIP_TIMEOUT_S = 120
# pip must never reach out from these tests
OFFLINE = {"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}


def _run(command: list[str], *, env: dict | None = None, cwd: Path | None = None,
         timeout: float = PIP_TIMEOUT_S) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    environ.update(OFFLINE)
    environ.update(env or {})
    done = subprocess.run(command, capture_output=True, text=True, env=environ, cwd=cwd,
                          timeout=timeout)
    assert done.returncode == 0, (
        f"{' '.join(map(str, command))} exited {done.returncode}:\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """sdist and wheel of a copy of the package (the checkout is not written to)."""
    pytest.importorskip("build", reason="pip install -r requirements.txt (build)")
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    shutil.copytree(ROOT / "tfcourse", tree / "tfcourse",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(tree)],
         cwd=tree)
    return out


def _linked(folder: Path, packages: tuple[str, ...]) -> Path:
    """A folder holding only these packages (linked from this environment), for a .pth file."""
    import importlib.util

    folder.mkdir(parents=True, exist_ok=True)
    for package in packages:
        spec = importlib.util.find_spec(package)  # found, not imported
        assert spec is not None and spec.origin, f"{package} is not installed here"
        origin = Path(spec.origin).resolve()  # .../site-packages/numpy/__init__.py or .../polib.py
        site = origin.parents[1] if origin.name == "__init__.py" else origin.parent
        for entry in site.iterdir():
            name = entry.name.lower()
            if name in (package, f"{package}.py") or name.startswith((f"{package}-", f"{package}.libs")):
                if not (folder / entry.name).exists():
                    (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def numpy_only(tmp_path_factory) -> Path:
    """tfcourse's own dependencies (NumPy, packaging, polib) and pip to install with (no index reached)."""
    return _linked(tmp_path_factory.mktemp("numpy-only"), ("numpy", "packaging", "polib", "pip"))


@pytest.fixture(scope="module")
def build_tools(tmp_path_factory) -> Path:
    """setuptools (and what it brings), to build the sdist without build isolation (offline)."""
    import importlib.util

    present = tuple(name for name in ("setuptools", "pkg_resources", "_distutils_hack", "packaging")
                    if importlib.util.find_spec(name) is not None)
    return _linked(tmp_path_factory.mktemp("build-tools"), present)


def _clean_venv(where: Path, extra_paths: list[Path]) -> Path:
    """A venv without system site-packages (nor pip of its own); extra_paths reach it by a .pth file."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(where)])
    python = where / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    (Path(purelib.stdout.strip()) / "_course_deps.pth").write_text(
        "".join(f"{path}\n" for path in extra_paths), encoding="utf-8")
    return python


def _only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, found {found}"
    return found[0]


SMOKE = """
import json, subprocess, sys
from importlib import metadata, resources
import tfcourse
help_text = subprocess.run([sys.executable, "-m", "tfcourse", "--help"], capture_output=True,
                           text=True, check=True).stdout
meta = metadata.metadata("tfcourse")
print(json.dumps({
    "file": tfcourse.__file__,
    "version": tfcourse.__version__,
    "help": help_text,
    "summary": meta["Summary"],
    "license": meta.get("License") or meta.get("License-Expression"),
    "urls": meta.get_all("Project-URL"),
    "classifiers": meta.get_all("Classifier"),
    "requires_python": meta["Requires-Python"],
    "extras": meta.get_all("Provides-Extra"),
    "readme": (meta.get_payload() or "")[:200],
    "assets": sorted(p.name for p in resources.files("tfcourse").joinpath("site_assets").iterdir()),
    "exercises": resources.files("tfcourse").joinpath("exercises", "__init__.py").is_file(),
    "scripts": sorted(e.name for e in metadata.entry_points(group="console_scripts")
                      if e.value.startswith("tfcourse")),
}))
"""


def _smoke(python: Path, venv: Path, cwd: Path) -> dict:
    report = json.loads(_run([str(python), "-c", SMOKE], cwd=cwd).stdout.strip().splitlines()[-1])
    assert Path(report["file"]).resolve().is_relative_to(venv.resolve()), report["file"]
    for command in ("doctor", "fetch-data", "run", "site"):
        assert command in report["help"], report["help"]
    assert report["summary"] and "TensorFlow" in report["summary"]
    assert report["license"] == "MIT"
    assert any("github.com/tfcourse/tfcourse" in url for url in report["urls"] or [])
    assert report["classifiers"] and "Framework :: Jupyter" in report["classifiers"]
    assert report["requires_python"]
    assert "colab" in (report["extras"] or [])
    assert report["readme"].lstrip().startswith("# tfcourse")
    assert {"binder-badge.svg", "colab-badge.svg", "tfcourse-site.css"} <= set(report["assets"])
    assert report["exercises"], "the tfcourse.exercises subpackage is missing"
    assert "tfcourse" in report["scripts"]
    return report


def test_the_wheel_installs_in_a_clean_venv_and_runs(dist, numpy_only, tmp_path):
    wheel = _only(dist, "tfcourse-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "tfcourse/site_assets/tfcourse-site.css" in names
    assert not any(name.startswith(("tests/", "lessons/")) for name in names)
    venv = tmp_path / "venv"
    python = _clean_venv(venv, [numpy_only])
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)])
    _smoke(python, venv, tmp_path)


def test_the_sdist_builds_and_installs_in_a_clean_venv(dist, numpy_only, build_tools, tmp_path):
    sdist = _only(dist, "tfcourse-*.tar.gz")
    venv = tmp_path / "venv"
    python = _clean_venv(venv, [numpy_only, build_tools])
    # the venv's own setuptools builds it: offline, no build isolation
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(sdist)])
    _smoke(python, venv, tmp_path)


# --- Colab: the Setup cell's snippet ----------------------------------------------------


def test_the_colab_snippet_installs_tfcourse_where_it_is_missing(dist, numpy_only, tmp_path):
    wheel = _only(dist, "tfcourse-*.whl")
    venv = tmp_path / "venv"
    python = _clean_venv(venv, [numpy_only])
    missing = subprocess.run([str(python), "-c", "import tfcourse"], capture_output=True,
                             cwd=tmp_path, env=dict(OFFLINE, PATH=os.environ.get("PATH", "")))
    assert missing.returncode != 0, "tfcourse is importable before the snippet ran"
    after = COLAB_SETUP + (
        "import tfcourse as tfc\n"
        "print('installed at', tfc.__file__)\n"
        "print(tfc.parameter_table)\n"  # the lazy names resolve: the package is whole
    )
    # tfcourse's dependencies (NumPy, packaging, polib) are there already: pip needs no index.
    done = _run([str(python), "-c", after], cwd=tmp_path, env={"TFCOURSE_SOURCE": str(wheel)})
    where = done.stdout.split("installed at", 1)[1].split()[0]
    assert Path(where).resolve().is_relative_to(venv.resolve()), done.stdout
    assert done.stderr.strip() == "", f"pip was not quiet:\n{done.stderr}"

    # installed now: the snippet does nothing (a bad source would fail if it were used)
    again = _run([str(python), "-c", COLAB_SETUP + "print('went on')"], cwd=tmp_path,
                 env={"TFCOURSE_SOURCE": str(tmp_path / "no-such.whl")})
    assert again.stdout.strip() == "went on" and again.stderr.strip() == ""


@pytest.fixture(scope="module")
def course_deps_without_tfcourse(tmp_path_factory) -> Path:
    """Everything this environment has installed (TensorFlow, ipykernel, ...) but tfcourse, linked."""
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    folder = tmp_path_factory.mktemp("deps-without-tfcourse")
    for entry in site.iterdir():
        name = entry.name.lower()
        if "tfcourse" in name or entry.suffix == ".pth" or name == "__pycache__":
            continue  # the editable install's finder and .pth files too
        (folder / entry.name).symlink_to(entry)
    return folder


def test_lesson_01_runs_through_the_colab_snippet_where_tfcourse_is_missing(
        dist, course_deps_without_tfcourse, tmp_path):
    """As on Colab: the libraries are there, tfcourse is not; the Setup cell installs it and the lesson runs."""
    wheel = _only(dist, "tfcourse-*.whl")
    venv = tmp_path / "venv"
    python = _clean_venv(venv, [course_deps_without_tfcourse])
    lesson = tmp_path / "lesson" / "01_tensorflow_at_a_glance.ipynb"
    lesson.parent.mkdir()
    shutil.copy2(ROOT / "lessons" / lesson.name, lesson)
    _run([sys.executable, str(ROOT / "tools" / "add_colab_setup.py"), str(lesson)])
    runner = (
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "nb.cells.append(nbformat.v4.new_code_cell("
        "'import sys, tfcourse; print(\"KERNEL\", sys.executable, tfcourse.__file__)'))\n"
        "NotebookClient(nb, timeout=300, startup_timeout=120, kernel_name='python3',\n"
        "               resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
        "print(nb.cells[-1].outputs[0]['text'])\n"
    )
    jupyter = tmp_path / "jupyter"  # no user kernelspec may point at another Python
    done = _run([str(python), "-c", runner, str(lesson), str(lesson.parent)], cwd=tmp_path,
                timeout=420, env={"TFCOURSE_SOURCE": str(wheel), "TF_CPP_MIN_LOG_LEVEL": "2",
                                  "TFCOURSE_DEVICE": "cpu", "JUPYTER_DATA_DIR": str(jupyter),
                                  "JUPYTER_CONFIG_DIR": str(jupyter), "JUPYTER_PATH": ""})
    kernel_python, module = done.stdout.split("KERNEL", 1)[1].split()[:2]
    assert Path(kernel_python).parent == python.parent, kernel_python
    assert Path(module).resolve().is_relative_to(venv.resolve()), module


def test_the_colab_snippet_does_nothing_where_tfcourse_is_installed(tmp_path):
    # this environment has tfcourse (pip install -r requirements.txt): no pip, no output
    done = _run([sys.executable, "-c", COLAB_SETUP + "import tfcourse; print('went on')"],
                cwd=tmp_path, env={"TFCOURSE_SOURCE": str(tmp_path / "no-such.whl"),
                                   "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "went on"
    assert done.stderr.strip() == ""


def test_the_colab_tool_adds_snippet_and_badge_once(tmp_path):
    """tools/add_colab_setup.py on copies of the lessons: every Setup cell, every badge, idempotent."""
    import nbformat

    lessons = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    for path in lessons:
        shutil.copy2(path, tmp_path / path.name)
    copies = [tmp_path / path.name for path in lessons]
    tool = [sys.executable, str(ROOT / "tools" / "add_colab_setup.py")]
    _run([*tool, *map(str, copies)])
    first = {path.name: path.read_text(encoding="utf-8") for path in copies}
    _run([*tool, *map(str, copies)])
    assert {path.name: path.read_text(encoding="utf-8") for path in copies} == first
    _run([*tool, "--check", *map(str, copies)])
    for path in copies:
        cells = nbformat.read(path, as_version=4).cells
        assert "colab.research.google.com/github/tfcourse/tfcourse/blob/main/lessons/" \
            f"{path.name}" in cells[0].source
        setup = next(i for i, c in enumerate(cells) if c.source.startswith("## Setup"))
        code = cells[setup + 1].source
        assert code.startswith(COLAB_SETUP), path.name
        assert code.count("except ModuleNotFoundError") == 1
        assert "import tfcourse as tfc" in code and "tfc.setup_device()" in code
        compile(code, path.name, "exec")  # still Python
