"""The workflow's wiring: every rule logs, runs a script from scripts/, and declares the
shared modules that script imports (so that editing one reruns the rule)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "workflow" / "rules"
SCRIPTS = ROOT / "scripts"
LOCAL = {p.stem for p in SCRIPTS.glob("*.py")}


def rules() -> dict[str, str]:
    """Rule name -> its body, from every .smk file."""
    out = {}
    for smk in sorted(RULES.glob("*.smk")):
        text = smk.read_text()
        parts = re.split(r"^rule (\w+):\n", text, flags=re.MULTILINE)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            out[name] = body
    return out


def imports(module: str) -> set[str]:
    tree = ast.parse((SCRIPTS / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found & LOCAL


def closure(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        for dep in imports(m) - seen:
            seen.add(dep)
            todo.append(dep)
    return seen - {module}


def test_every_rule_logs_and_runs_a_script():
    found = rules()
    assert {"anonymise_survey", "anonymise_freetext", "score", "reliability", "report"} <= set(found)
    for name, body in found.items():
        if name == "all":
            continue
        assert "\n    log:\n" in body, f"rule {name} has no log"
        assert re.search(r'script:\n\s+"\.\./\.\./scripts/\w+\.py"', body), f"rule {name} runs no script from scripts/"
        assert "conda:" in body, f"rule {name} names no conda environment"


def test_declared_code_inputs_match_the_scripts_imports():
    for name, body in rules().items():
        if name == "all":
            continue
        script = re.search(r'scripts/(\w+)\.py"', body.split("script:")[1]).group(1)
        m = re.search(r"code=code\(([^)]*)\)", body)
        assert m, f"rule {name} declares no code inputs"
        declared = {"_helpers", *re.findall(r'"(\w+)"', m.group(1))}
        assert declared == closure(script), f"rule {name}: declared {sorted(declared)}, imports {sorted(closure(script))}"


def test_closure_follows_imports_transitively():
    # report imports reproduce, which imports audit: audit must be in report's closure.
    assert "audit" in closure("report") and "audit" not in imports("report")


def test_config_fingerprint_changes_with_the_sections_and_hides_them():
    from config_check import config_fingerprint

    config = {"redaction": {"places": ["Ashcombe"]}, "report": {"renderer": "auto"}}
    fp = config_fingerprint(config, ["redaction"])
    assert len(fp) == 64 and "Ashcombe" not in fp
    assert fp == config_fingerprint({**config, "report": {"renderer": "pandoc"}}, ["redaction"]), "other sections do not matter"
    assert fp != config_fingerprint({**config, "redaction": {"places": ["Dunmere"]}}, ["redaction"])
