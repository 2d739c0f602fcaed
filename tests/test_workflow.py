"""The workflow's wiring: every rule logs, runs a script from scripts/ named after it, and
declares the modules that script imports (so that editing one reruns the rule)."""

import re
from pathlib import Path

import module_deps

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "workflow" / "rules"


def rules() -> dict[str, str]:
    """Rule name -> its body, from every .smk file."""
    out = {}
    for smk in sorted(RULES.glob("*.smk")):
        text = smk.read_text()
        parts = re.split(r"^rule (\w+):\n", text, flags=re.MULTILINE)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            out[name] = body
    return out


def test_every_rule_logs_and_runs_a_script():
    found = rules()
    assert {"anonymise_survey", "anonymise_freetext", "score", "reliability", "report"} <= set(found)
    for name, body in found.items():
        if name == "all":
            continue
        assert "\n    log:\n" in body, f"rule {name} has no log"
        assert re.search(r'script:\n\s+"\.\./\.\./scripts/\w+\.py"', body), f"rule {name} runs no script from scripts/"
        assert "conda:" in body, f"rule {name} names no conda environment"


def test_every_script_is_named_after_its_rule_and_declares_its_code():
    for name, body in rules().items():
        if name == "all":
            continue
        script = re.search(r'scripts/(\w+)\.py"', body.split("script:")[1]).group(1)
        assert script == name or name == "report", f"rule {name} runs scripts/{script}.py"
        assert f'code=code("{script}")' in body, f"rule {name} does not declare the modules its script imports"


def test_closure_follows_imports_transitively(tmp_path):
    (tmp_path / "a.py").write_text("import b\n\ndef f():\n    from c import g  # a lazy import counts too\n")
    (tmp_path / "b.py").write_text("from d import x\nimport numpy\n")
    (tmp_path / "c.py").write_text("")
    (tmp_path / "d.py").write_text("import a  # a cycle ends\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from c import y\n")
    (tmp_path / "e.py").write_text("import pkg.sub\n")
    assert module_deps.closure("a", tmp_path) == ["b", "c", "d"]  # numpy is not local; a itself is left out
    assert module_deps.closure("e", tmp_path) == ["c", "pkg"]
    assert module_deps.module_files("e", tmp_path) == [f"{tmp_path.name}/c.py", f"{tmp_path.name}/pkg/__init__.py"]


def test_imports_read_by_pattern_equal_the_syntax_tree():
    modules = sorted(module_deps.local_modules())
    assert len(modules) > 30
    assert {m: module_deps.imports(m) for m in modules} == {m: module_deps.imports_by_ast(m) for m in modules}


def test_import_pattern_reads_every_form(tmp_path):
    (tmp_path / "a.py").write_text(
        "import b, c as see  # two\nfrom d.sub import (\n    x,\n)\nif True:\n    import e.f\nfrom . import g\nimportant = 1\n"
    )
    for m in "bcdefg":
        (tmp_path / f"{m}.py").write_text("")
    assert module_deps.imports("a", tmp_path) == module_deps.imports_by_ast("a", tmp_path) == {"b", "c", "d", "e"}


def test_real_closures():
    # report imports instrument, which imports schemas: schemas is in report's closure.
    assert "schemas" in module_deps.closure("report") and "schemas" not in module_deps.imports("report")
    assert "plotting" not in module_deps.closure("anonymise_survey")


def test_config_fingerprint_changes_with_the_sections_and_hides_them():
    from config_check import config_fingerprint

    config = {"redaction": {"places": ["Ashcombe"]}, "report": {"renderer": "auto"}}
    fp = config_fingerprint(config, ["redaction"])
    assert len(fp) == 64 and "Ashcombe" not in fp
    assert fp == config_fingerprint({**config, "report": {"renderer": "pandoc"}}, ["redaction"]), "other sections do not matter"
    assert fp != config_fingerprint({**config, "redaction": {"places": ["Dunmere"]}}, ["redaction"])
