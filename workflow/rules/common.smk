# Helpers for the rule files.


def fingerprint(*keys):
    """A param that reruns the rule when these config sections change, without copying
    them into Snakemake's metadata and report (scripts/config_check.py)."""
    return config_fingerprint(config, keys)


def code(*modules):
    """The shared modules a rule's script imports (directly or not), as inputs: Snakemake
    tracks changes to the script itself, not to what it imports. tests/test_workflow.py
    checks these lists against the scripts' imports."""
    return [f"scripts/{m}.py" for m in ("_helpers", *modules)]
