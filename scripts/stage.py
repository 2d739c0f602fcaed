"""The thin Snakemake entry every stage module ends with: ``run_rule(snakemake, main)``.

Logs go to the rule's log file only, and hold counts, never values from the data. An
:class:`errors.InputError` ends the job with its one line and a non-zero exit, and no
output of the failed job is left behind. The line is written twice, differently
(:mod:`errors`): to the log file with the value found *described* (never quoted, so nothing
read from a raw input reaches ``results/logs/``, nor ``.snakemake/log/`` when Snakemake copies
failed logs there), and to stderr with a raw value *redacted* by the redactor the rule
installed (``errors.set_value_redactor``), or withheld if it installed none.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from errors import ERROR_PREFIX, InputError, raw_input_paths


def setup_logging(logfile: str | os.PathLike | None) -> None:
    """Log to the rule's log file (and nowhere else). Messages hold counts, never values."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    if logfile:
        Path(logfile).parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(logfile, mode="w", encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)


def run_rule(smk: Any, main: Callable[[Any], None]) -> None:
    """Run a stage's ``main(smk)`` as a Snakemake job.

    An :class:`InputError` ends the job with its one line on stderr and in the log, and a
    non-zero exit. Outputs are written atomically, so nothing half-written is left; any
    output a failed job did complete is removed here so no stale file survives.
    """
    logfile = smk.log[0] if len(smk.log) else None
    setup_logging(logfile)
    try:
        main(smk)
    except InputError as exc:
        raw = raw_input_paths(getattr(smk, "config", None))
        # The record's own "ERROR ripls: " prefix stands in for the line's "ERROR ".
        logging.getLogger("ripls").error(exc.log_line(raw).removeprefix(f"{ERROR_PREFIX} "))
        for out in smk.output:
            for path in as_list(out):  # a named output may be a list (a mock's, or a Snakemake input function's)
                _remove(Path(path))
        print(exc.terminal_line(raw), file=sys.stderr, flush=True)
        sys.exit(1)


def _remove(path: Path) -> None:
    if path.is_dir():
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def as_list(value: Any) -> list[str]:
    """A Snakemake input that may be one path or a list of paths, as a list of paths."""
    if value is None:
        return []
    if isinstance(value, str | os.PathLike):
        return [str(value)]
    return [str(v) for v in value]
