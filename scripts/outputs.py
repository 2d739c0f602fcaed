"""Atomic, deterministic writers for every file the pipeline writes.

Each writes a temporary file and renames it onto the target, so Snakemake never sees a
half-written output, and the same data always gives the same bytes.

Temporary files live outside the output folders: in :data:`TMP_DIR` (``.snakemake/ripls-tmp/``)
of the working directory when the target lies inside it, so a run killed mid-write (SIGKILL:
no clean-up at all) leaves nothing in ``results/``, where nothing would ever remove it. The
rename stays atomic because both lie on one file system; if they do not (a ``results``
mounted elsewhere), the temporary file is made beside the target instead. Each temporary
name carries the writer's process id, so ``tools/pipeline.py`` can remove those of dead runs
(:func:`stale_temporary_files`). A folder output is built the same way (:func:`atomic_dir`).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)

#: Where temporary files go, relative to the working directory (Snakemake's own folder).
TMP_DIR = Path(".snakemake") / "ripls-tmp"
#: Temporary names: ``.<target name>.<pid>.<random>.tmp`` (a folder ends in ``.tmpdir``).
_TMP_NAME = re.compile(r"^\..+\.(?P<pid>\d+)\.[^.]+\.tmp(?:dir)?$")


def _tmp_dir_for(target: Path) -> Path:
    """:data:`TMP_DIR` if ``target`` lies in the working directory on the same file system;
    else the target's own folder."""
    cwd = Path.cwd()
    parent = target.parent.resolve()
    if parent == cwd or cwd in parent.parents:
        tmp_dir = cwd / TMP_DIR
        try:
            tmp_dir.mkdir(parents=True, exist_ok=True)
            if tmp_dir.stat().st_dev == parent.stat().st_dev:
                return tmp_dir
        except OSError:
            pass
    return target.parent


def _replace(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` onto ``target``; across file systems (EXDEV), copy beside the target first."""
    try:
        os.replace(tmp, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        beside = target.parent / f"{tmp.name}.x"
        try:
            shutil.move(tmp, beside)
            os.replace(beside, target)
        finally:
            if beside.is_dir():
                shutil.rmtree(beside, ignore_errors=True)
            else:
                beside.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path (see the module's doc); rename it onto ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=_tmp_dir_for(target))
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        _replace(Path(tmp), target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it replaces the folder ``path`` whole.

    Whoever reads ``path`` sees the old folder or the complete new one, never a part.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmpdir", dir=_tmp_dir_for(target)))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_UMASK)  # mkdtemp makes 0700
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        _replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def stale_temporary_files(root: str | os.PathLike, alive) -> list[Path]:
    """Temporary files and folders of this module under ``root`` whose writer is not ``alive(pid)``.

    ``root`` is a working directory: its :data:`TMP_DIR` and its ``results/`` (where temporary
    files are made when the rename would cross file systems) are searched.
    """
    root = Path(root)
    found = []
    for folder in (root / TMP_DIR, root / "results"):
        if not folder.is_dir():
            continue
        for p in sorted(folder.rglob(".*.tmp*")):
            m = _TMP_NAME.match(p.name)
            if m and not alive(int(m.group("pid"))):
                found.append(p)
    return found


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


#: Floats are written with 10 significant digits: enough for every reported figure,
#: and stable across platforms where the last bits of a float may differ.
FLOAT_FORMAT = "%.10g"


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a table as UTF-8 CSV with LF line endings, no index, fixed float format.

    Float columns holding only whole numbers (scores, counts with gaps) are written as
    integers: the same text as ``%.10g`` gives them, without formatting each value in Python
    (100,000 rows of item scores: seconds -> milliseconds).
    """
    import numpy as np

    out = df
    for col in df.columns:
        s = df[col]
        if s.dtype.kind == "f":
            finite = s.to_numpy()[~np.isnan(s.to_numpy())]
            if (
                np.all(np.isfinite(finite))
                and np.all(finite == np.round(finite))
                and np.all(np.abs(finite) < 1e10)
                and not np.any(np.signbit(finite) & (finite == 0))
            ):
                if out is df:
                    out = df.copy()
                out[col] = s.astype("Int64")
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False, lineterminator="\n", float_format=FLOAT_FORMAT, encoding="utf-8")


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def json_text(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=_json_default) + "\n"


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json_text(obj))
