"""binder/: the repo2docker set-up Binder builds the course from, checked offline.

repo2docker's dry run (``--no-build --debug``) writes the Dockerfile Binder
would build, without a container engine or the network; the checks below read
that Dockerfile rather than guess how repo2docker treats our files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
SLUG = "tfcourse/tfcourse"
BADGE_LINK = re.compile(
    r"https://mybinder\.org/v2/gh/(?P<slug>[^/\s]+/[^/\s]+)/(?P<ref>[^?\s)\"]+)"
    r"\?labpath=(?P<path>[^)\s\"&#]+)"
)


def _pins(path: Path) -> dict[str, tuple[str, bool]]:
    """package -> (specifier, in the "# --- Tests" group); local lines skipped."""
    pins, group = {}, ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("# ---"):
            group = line.strip("# -").lower()
            continue
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement = Requirement(line)
        pins[canonicalize_name(requirement.name)] = (
            str(requirement.specifier),
            group.startswith("test"),
        )
    return pins


def _local_lines(path: Path) -> list[str]:
    lines = [line.split(" #", 1)[0].strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line.startswith(("-e", "."))]


@pytest.fixture(scope="module")
def clean_copy(tmp_path_factory) -> Path:
    """The files a commit would hold (tracked or not ignored), nothing built or cached."""
    copy = tmp_path_factory.mktemp("repo") / "tfcourse"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=False,
    )
    if listed.returncode == 0:
        for name in filter(None, listed.stdout.decode().split("\0")):
            source = ROOT / name
            if source.is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy / name)
    else:  # not a git checkout (a downloaded archive): copy minus the usual clutter
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
            ".git", "_build", "build", "__pycache__", "*.egg-info", ".*cache", ".ipynb_checkpoints"
        ))
    return copy


@pytest.fixture(scope="module")
def dockerfile(clean_copy) -> str:
    pytest.importorskip("repo2docker", reason="pip install jupyter-repo2docker (requirements.txt)")
    # Binder's user; --no-build needs no container engine and no network.
    done = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug",
         "--user-id", "1000", "--user-name", "jovyan", str(clean_copy)],
        capture_output=True, text=True, timeout=120, cwd=clean_copy.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "FROM " in done.stdout, done.stdout[:2000]
    return done.stdout + "\n# --- stderr ---\n" + done.stderr


def _line_index(lines: list[str], pattern: str) -> int:
    matches = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    assert len(matches) == 1, f"{pattern!r} found {len(matches)} times in the Dockerfile"
    return matches[0]


def test_repo2docker_builds_python_3_11(dockerfile):
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    assert "python=3.11" in dockerfile  # "Building conda environment for python=3.11"
    # the lock file of the 3.11 environment is copied in (its name escaped by repo2docker)
    from escapism import unescape

    copied = []
    for line in dockerfile.splitlines():
        if line.startswith("COPY") and " build_script_files/" in line:
            slug = line.split()[-2].split("/", 1)[1].rsplit("-", 1)[0]  # minus "-<hash>"
            copied.append(unescape(slug, escape_char="-"))
    assert any(Path(name).name.startswith("environment.py-3.11-") for name in copied), copied


def test_dockerfile_installs_binder_requirements_from_the_copied_repo(dockerfile):
    lines = dockerfile.splitlines()
    workdir = _line_index(lines, r"^WORKDIR \$\{REPO_DIR\}$")
    copy_repo = _line_index(lines, r"^COPY .* src/ \$\{REPO_DIR\}/$")
    pip = _line_index(lines, r'pip install --no-cache-dir -r "binder/requirements\.txt"$')
    post_build = _line_index(lines, r"^RUN \./binder/postBuild$")
    # The local "-e ." needs the whole repo copied before pip runs, and pip runs
    # in ${REPO_DIR}: that is what "." means in binder/requirements.txt.
    assert workdir < copy_repo < pip < post_build
    assert not any(re.search(r'-r "?requirements\.txt', line) for line in lines), (
        "the root requirements.txt must not be installed: binder/ replaces it"
    )
    assert 'ENV R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in lines


def test_local_reference_is_the_course_package_when_pip_runs_from_the_repo_root(clean_copy):
    """pip resolves "-e ." against its working directory (the Dockerfile's
    WORKDIR, the repository root), not against binder/, where the file is."""
    local = _local_lines(BINDER / "requirements.txt")
    assert local == ["-e ."]
    only_local = clean_copy / "binder" / "local-only.txt"  # beside the real file
    only_local.write_text("\n".join(local) + "\n")
    report = clean_copy.parent / "pip-report.json"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index",
         "--no-build-isolation", "--quiet", "--report", str(report), "-r",
         "binder/local-only.txt"],
        cwd=clean_copy, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (installed,) = json.loads(report.read_text())["install"]
    assert installed["metadata"]["name"] == "tfcourse"
    assert installed["download_info"]["url"] == clean_copy.resolve().as_uri()


def test_binder_pins_agree_with_the_root_requirements():
    root = _pins(ROOT / "requirements.txt")
    binder = _pins(BINDER / "requirements.txt")
    assert "tensorflow" not in binder, "Binder has no GPU: pin tensorflow-cpu instead"
    assert binder.pop("tensorflow-cpu")[0] == root["tensorflow"][0]
    for name, (specifier, _) in binder.items():
        assert name in root, f"{name} is on Binder but not in requirements.txt"
        assert specifier == root[name][0], f"{name}: binder {specifier}, root {root[name][0]}"
    missing = [name for name, (_, test_only) in root.items()
               if not test_only and name != "tensorflow" and name not in binder]
    assert not missing, f"course packages missing from binder/requirements.txt: {missing}"
    assert _local_lines(ROOT / "requirements.txt") == ["-e ."]


def test_post_build_is_strict_and_fetches_the_data():
    post_build = BINDER / "postBuild"
    text = post_build.read_text()
    assert text.startswith("#!/bin/bash\n")
    assert re.search(r"^set -euo pipefail$", text, re.MULTILINE)
    assert os.access(post_build, os.X_OK), "chmod +x binder/postBuild"
    commands = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert any("python -m tfcourse fetch-data" in line and "|| true" not in line
               for line in commands)
    assert subprocess.run(["bash", "-n", str(post_build)]).returncode == 0


def test_start_sets_the_environment_then_runs_the_server_command():
    start = BINDER / "start"
    assert os.access(start, os.X_OK), "chmod +x binder/start"
    assert start.read_text().rstrip().splitlines()[-1] == 'exec "$@"'
    environ = {k: v for k, v in os.environ.items()
               if k not in ("TF_CPP_MIN_LOG_LEVEL", "TFCOURSE_DEVICE")}
    done = subprocess.run([str(start), "env"], capture_output=True, text=True, env=environ)
    assert done.returncode == 0, done.stderr
    shown = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert shown["TF_CPP_MIN_LOG_LEVEL"] == "2"
    assert shown["TFCOURSE_DEVICE"] == "cpu"


def _badges(text: str) -> list[re.Match]:
    return list(BADGE_LINK.finditer(text))


def test_every_readme_badge_opens_an_existing_notebook():
    badges = [badge for readme in ("README.md", "README.zh-CN.md")
              for badge in _badges((ROOT / readme).read_text(encoding="utf-8"))]
    assert badges, "README.md has no Binder launch link"
    for badge in badges:
        assert badge["slug"] == SLUG, badge[0]
        target = ROOT / unquote(badge["path"])
        assert target.is_file(), f"{badge[0]} opens {target}, which does not exist"


def test_every_lesson_badge_opens_that_lesson():
    """English and Chinese: lessons/zh/05_x.ipynb's badge opens lessons/zh/05_x.ipynb."""
    lessons = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    assert lessons
    for lesson in [*lessons, *sorted((ROOT / "lessons" / "zh").glob("[0-9][0-9]_*.ipynb"))]:
        cells = json.loads(lesson.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        badges = _badges(text)
        assert badges, f"{lesson.name} has no Binder launch badge"
        for badge in badges:
            assert badge["slug"] == SLUG, f"{lesson.name}: {badge[0]}"
            expected = lesson.relative_to(ROOT).as_posix()
            assert unquote(badge["path"]) == expected, f"{expected}: {badge[0]}"
