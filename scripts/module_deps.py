"""Which of the pipeline's own modules a script imports, directly or not.

Snakemake reruns a rule when its script changes, not when a module the script imports
changes. Each rule therefore declares those modules as inputs, computed here from the
scripts' import statements (lazy imports inside functions included), so the list can never
fall out of step with the code (``workflow/rules/common.smk: code()``).
"""

import ast
from functools import cache
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent


@cache
def local_modules(folder: Path = SCRIPTS) -> frozenset[str]:
    """Names of the modules in ``folder`` (``name.py``, or packages ``name/__init__.py``)."""
    return frozenset({p.stem for p in folder.glob("*.py")} | {p.parent.name for p in folder.glob("*/__init__.py")})


def _files(module: str, folder: Path) -> list[Path]:
    single = folder / f"{module}.py"
    return [single] if single.is_file() else sorted((folder / module).rglob("*.py"))


@cache
def imports(module: str, folder: Path = SCRIPTS) -> frozenset[str]:
    """The local modules ``module`` imports itself."""
    found: set[str] = set()
    for f in _files(module, folder):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return frozenset(found & local_modules(folder)) - {module}


def closure(module: str, folder: Path = SCRIPTS) -> list[str]:
    """Every local module ``module`` imports directly or through others, sorted."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        for dep in imports(todo.pop(), folder) - seen:
            seen.add(dep)
            todo.append(dep)
    return sorted(seen - {module})


def module_files(module: str, folder: Path = SCRIPTS) -> list[str]:
    """The files of the modules in :func:`closure`, relative to the repository."""
    root = folder.parent
    return [str(f.relative_to(root)) for m in closure(module, folder) for f in _files(m, folder)]
