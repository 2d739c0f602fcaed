# Helpers for the rule files.


def settings(*keys):
    """The parts of the config a rule depends on. Passed as params, so that Snakemake
    reruns the rule when they change."""
    return {k: config[k] for k in keys}


def code(*modules):
    """The shared modules a rule's script imports (directly or not), as inputs: Snakemake
    tracks changes to the script itself, not to what it imports. tests/test_workflow.py
    checks these lists against the scripts' imports."""
    return [f"scripts/{m}.py" for m in ("_helpers", *modules)]
