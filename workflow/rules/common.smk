# Helpers for the rule files.


def fingerprint(*keys):
    """SHA-256 of the config sections a rule reads (from snakemake.config). Passed as a
    param, so Snakemake reruns the rule when they change, without copying the sections
    themselves into its metadata and report: they name places, services and organisations.
    """
    import hashlib
    import json

    blob = json.dumps({k: config.get(k) for k in keys}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def code(*modules):
    """The shared modules a rule's script imports (directly or not), as inputs: Snakemake
    tracks changes to the script itself, not to what it imports. tests/test_workflow.py
    checks these lists against the scripts' imports."""
    return [f"scripts/{m}.py" for m in ("_helpers", *modules)]
