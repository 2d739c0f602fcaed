"""Which of the pipeline's own modules a script imports, directly or not.

Snakemake reruns a rule when its script changes, not when a module the script imports
changes. Each rule therefore declares those modules as inputs, computed here from the
scripts' import statements (lazy imports inside functions included), so the list can never
fall out of step with the code (``workflow/rules/common.smk: code()``).
"""

import ast
import re
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


#: ``import a, b.c as d`` and ``from a.b import c`` (absolute) at the start of a line, at any
#: indentation: lazy imports inside functions count too.
_IMPORT = re.compile(r"^[ \t]*(?:import[ \t]+([\w., \t]+?)[ \t]*(?:#.*)?$|from[ \t]+(\w+)[\w.]*[ \t]+import\b)", re.M)


@cache
def imports(module: str, folder: Path = SCRIPTS) -> frozenset[str]:
    """The local modules ``module`` imports itself.

    Read from the import statements' lines with a regular expression (the rules ask at every
    Snakemake start: parsing each module with ``ast`` took 1.5 s of it); a test holds it equal
    to :func:`imports_by_ast` on every script. An import-like line inside a string can only
    add an input, never lose one.
    """
    found: set[str] = set()
    for f in _files(module, folder):
        for plain, source in _IMPORT.findall(f.read_text(encoding="utf-8")):
            if source:
                found.add(source)
            else:
                found |= {part.split()[0].split(".")[0] for part in plain.split(",") if part.strip()}
    return frozenset(found & local_modules(folder)) - {module}


def imports_by_ast(module: str, folder: Path = SCRIPTS) -> frozenset[str]:
    """:func:`imports` from the syntax tree (the reference the test compares with)."""
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
