"""``tfcourse fetch-data``: MNIST and Fashion-MNIST into Keras's cache, verified, for offline use.

    python -m tfcourse fetch-data                          # download what is missing
    python -m tfcourse fetch-data --from /media/usb/mnist  # a classroom offline

Without ``--from`` a data set already in the cache is checked and kept, a
missing one is downloaded by Keras. With ``--from`` every file is checked as
:mod:`tfcourse.data` checks it, copied into a staging folder beside the
cache's, checked again there, and only then swapped in: an import that fails
or is interrupted leaves the previous copy as it was, and no partial file.
Exit status 1 when a data set could not be put in place. :func:`fetch_data`
does the same from Python.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tfcourse import data
from tfcourse._tensorflow import quiet_start
from tfcourse._validation import check_choice, check_path, expected
from tfcourse.cli._command import Log, UsageError, as_log
from tfcourse.cli.course import DATASETS

__all__ = ["FetchResult", "fetch_data"]

DATASET_CHOICES = (*DATASETS, "all")


@dataclass(frozen=True)
class FetchResult:
    """What ``fetch-data`` did with one data set.

    ``status`` is "already there", "downloaded", "imported" or "failed";
    ``path`` is where Keras's cache holds it now.
    """

    dataset: str
    status: str
    path: Path | None
    detail: str

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def _verified_in_cache(name: str) -> Path | None:
    """Where Keras's cache holds the whole official data set, checked; else None."""
    files = data.dataset_files(name)
    if files.source.kind != "keras-cache" or files.source.test_split:
        return None
    try:
        if files.npz is not None:
            return files.npz if data.file_digest(files.npz) == data.KERAS_MNIST_NPZ_SHA256 else None
        data.check_files(files)
    except (data.CorruptDataError, OSError):
        return None
    return files.source.path


def _download(name: str, log: Log) -> FetchResult:
    spec = data.dataset_spec(name)
    log(f"{spec.title}: downloading with {spec.keras_module}.load_data() ({spec.download_size})")
    try:
        with quiet_start():  # Keras starts TensorFlow: no C++ start-up lines
            data.download_with_keras(name)
    except Exception as err:  # Keras raises a bare Exception for a failed fetch
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return FetchResult(name, "failed", None,
                           f"the download failed ({reason}). Offline? Copy the files from a "
                           f"USB stick: python -m tfcourse fetch-data --dataset {name} "
                           "--from FOLDER.")
    where = _verified_in_cache(name)
    if where is None:
        return FetchResult(name, "failed", None,
                           f"Keras downloaded it but the copy in {data.keras_datasets_folder()} "
                           "does not pass the checks; delete it and try again.")
    return FetchResult(name, "downloaded", where, f"verified in {where}")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_atomically(source: Path, target: Path, *, gzip_it: bool,
                      check: Callable[[Path], None] | None = None) -> None:
    """Copy ``source`` to ``target`` through a temporary file; ``check`` it before it replaces anything."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out, open(source, "rb") as inp:
            if gzip_it:
                with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as zipped:
                    shutil.copyfileobj(inp, zipped, 1 << 20)
            else:
                shutil.copyfileobj(inp, out, 1 << 20)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; a cache file is not
        if check is not None:
            check(Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _previous(target: Path) -> Path:
    return target.with_name(f".{target.name}.previous")


def _recover_interrupted_swap(target: Path) -> None:
    """Put back the previous copy if an import stopped between its two renames."""
    previous = _previous(target)
    if previous.is_dir() and not target.exists():
        os.rename(previous, target)
    elif previous.is_dir():
        shutil.rmtree(previous, ignore_errors=True)


def _swap_in(staging: Path, target: Path) -> None:
    """Replace the folder ``target`` with ``staging`` (both in the same folder)."""
    previous = _previous(target)
    if target.exists():
        os.rename(target, previous)
    try:
        os.rename(staging, target)
    except BaseException:
        if previous.exists() and not target.exists():
            os.rename(previous, target)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _import(name: str, folder: Path, log: Log) -> FetchResult:
    """Copy a data set from ``folder`` into Keras's cache after checking every file.

    The files are checked where they are, copied into a staging folder beside
    the cache's, checked again there (the source may change or the copy fail),
    and only then swapped in: an import that fails or is interrupted leaves the
    previous copy as it was, and no partial file.
    """
    spec = data.dataset_spec(name)
    cache = data.keras_datasets_folder()
    try:
        plan = data.dataset_files(name, folder, named_by=f"{data.IMPORT_FROM_PREFIX}{folder}")
        if plan.source.test_split and name == "fashion_mnist":
            return FetchResult(name, "failed", None,
                               f"{plan.source.path} holds only the Fashion-MNIST test files; "
                               "Keras's loader needs all four. Bring the train-*.gz files too, "
                               f"or point {data.DATA_DIR_ENV} at that folder instead.")
        if plan.npz is not None:
            digest = data.file_digest(plan.npz)
            if digest != data.KERAS_MNIST_NPZ_SHA256:
                return FetchResult(name, "failed", None,
                                   f"{plan.npz} is not Keras's official {data.KERAS_MNIST_NPZ} "
                                   f"(SHA-256 {digest[:12]}..., official "
                                   f"{data.KERAS_MNIST_NPZ_SHA256[:12]}...): Keras would reject "
                                   f"it in its cache. To use it anyway, set "
                                   f"{data.DATA_DIR_ENV}={plan.npz.parent}.")
        else:
            log(f"{spec.title}: checking {len(plan.idx)} files in {plan.source.path}")
        data.check_files(plan)
    except (data.DataUnavailableError, data.CorruptDataError) as err:
        return FetchResult(name, "failed", None, str(err))
    except PermissionError as err:
        return FetchResult(name, "failed", None,
                           f"{err.filename or folder} cannot be read by this user "
                           f"({err.strerror}). Fix: make it readable (chmod a+r) or copy the "
                           "files to a folder of yours, and import from there.")

    if plan.npz is not None:
        target = cache / data.KERAS_MNIST_NPZ

        def official(copy: Path) -> None:
            if data.file_digest(copy) != data.KERAS_MNIST_NPZ_SHA256:
                raise data.CorruptDataError(
                    f"the copy of {plan.npz} differs from the file checked a moment ago "
                    "(did it change while it was copied?); nothing was replaced.")

        try:
            _write_atomically(plan.npz, target, gzip_it=False, check=official)
        except data.CorruptDataError as err:
            return FetchResult(name, "failed", None, str(err))
    else:
        cached_npz = cache / data.KERAS_MNIST_NPZ
        if name == "mnist" and cached_npz.is_file() and \
                data.file_digest(cached_npz) == data.KERAS_MNIST_NPZ_SHA256:
            return FetchResult(name, "already there", cached_npz,
                               f"Keras's official {data.KERAS_MNIST_NPZ} is already in its "
                               "cache; nothing imported")
        target = cache / (data.KERAS_MNIST_IDX_SUBFOLDER if name == "mnist" else data.FASHION_SUBFOLDER)
        cache.mkdir(parents=True, exist_ok=True)
        _recover_interrupted_swap(target)
        staging = Path(tempfile.mkdtemp(dir=cache, prefix=f".{target.name}.staging-"))
        try:
            for role, source in plan.idx.items():
                _write_atomically(source, staging / f"{data.IDX_NAMES[role]}.gz",
                                  gzip_it=not source.name.endswith(".gz"))
            os.chmod(staging, 0o777 & ~_umask())
            data.verify_data(name, data_dir=staging)  # the copy, not the source
            _swap_in(staging, target)
        except (data.CorruptDataError, data.DataUnavailableError) as err:
            return FetchResult(name, "failed", None,
                               f"the copy does not pass the checks, so nothing was replaced: {err}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # gone already after a swap
        if name == "mnist" and cached_npz.is_file():
            # Not the official file (checked above): it would shadow the import,
            # and Keras would try to download over it.
            log(f"{spec.title}: removing {cached_npz}, which is not the official file")
            cached_npz.unlink()
    copied = data.dataset_files(name)
    if copied.source.path != target:
        return FetchResult(name, "failed", None,
                           f"copied to {target}, but the loader reads {copied.source.path}")
    detail = f"verified and copied to {target}"
    if copied.source.test_split:
        detail += " (test set only: the lessons train on its first 80%, test on the rest)"
    return FetchResult(name, "imported", target, detail)


def fetch_data(
    dataset: str = "all",
    *,
    source_dir: str | os.PathLike[str] | None = None,
    log: Log | None = print,
) -> list[FetchResult]:
    """Put MNIST and/or Fashion-MNIST into Keras's cache, verified, for offline use.

    Without ``source_dir`` a data set already in the cache is checked and kept,
    a missing one is downloaded by Keras. With ``source_dir`` (files a teacher
    brought on a USB stick) every file is checked as :mod:`tfcourse.data`
    checks it, then copied where Keras and :func:`tfcourse.load_mnist` read it:
    ``datasets/mnist.npz`` (Keras's official file only), IDX files of MNIST
    into ``datasets/mnist/``, Fashion-MNIST into ``datasets/fashion-mnist/``.
    ``log`` receives progress lines (None: silent).

    Example (not run here: it writes into Keras's cache)::

        from tfcourse.cli import fetch_data
        [r.status for r in fetch_data("fashion_mnist",
                                      source_dir="/usr/share/datasets/fashion-mnist", log=None)]
        # ['imported']
    """
    check_choice("dataset", dataset, DATASET_CHOICES)
    say = as_log(log)
    folder = None
    if source_dir is not None:
        folder = check_path("source_dir", source_dir, "a folder path or None").expanduser()
        if not folder.is_dir():
            raise FileNotFoundError(expected("an existing folder", "source_dir", source_dir))
    names = DATASETS if dataset == "all" else (dataset,)
    results = []
    for name in names:
        if folder is not None:
            result = _import(name, folder, say)
        else:
            where = _verified_in_cache(name)
            if where is not None:
                result = FetchResult(name, "already there", where, f"verified in {where}")
            else:
                result = _download(name, say)
        say(f"{data.dataset_spec(name).title}: {result.status}: {result.detail}")
        results.append(result)
    return results


def _handle(args: argparse.Namespace, log: Log) -> int:
    if args.source_dir is not None and not Path(args.source_dir).expanduser().is_dir():
        raise UsageError(f"--from {args.source_dir}: no such folder")
    results = fetch_data(args.dataset, source_dir=args.source_dir, log=log)
    failed = [r for r in results if not r.ok]
    cache = data.keras_datasets_folder()
    if failed:
        log(f"\n{len(failed)} of {len(results)} data sets not in Keras's cache ({cache}).")
        return 1
    log(f"\nReady offline: {', '.join(data.dataset_spec(r.dataset).title for r in results)} "
        f"in Keras's cache ({cache}).")
    return 0


def add_subcommand(commands: Any) -> argparse.ArgumentParser:
    """Add ``fetch-data`` to the ``tfcourse`` command line's subcommands."""
    fetch = commands.add_parser(
        "fetch-data", help="put MNIST and Fashion-MNIST into Keras's cache, verified",
        description="Download the data sets into Keras's cache (~/.keras/datasets or "
                    "$KERAS_HOME/datasets), or import files brought on a USB stick with "
                    "--from; every file is checked first. Afterwards the lessons work offline.",
    )
    fetch.add_argument("--dataset", choices=DATASET_CHOICES, default="all",
                       help="which data set (default: all)")
    fetch.add_argument("--from", dest="source_dir", metavar="DIR",
                       help="import from this folder (mnist.npz or the four IDX .gz files; "
                            "Fashion-MNIST also from its fashion-mnist/ subfolder) instead "
                            "of downloading")
    fetch.set_defaults(handler=_handle, subparser=fetch)
    return fetch
