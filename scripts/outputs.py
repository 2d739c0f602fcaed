"""Atomic, deterministic writers for every file the pipeline writes.

Each writes a temporary file beside the target and renames it, so Snakemake never sees a
half-written output, and the same data always gives the same bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
