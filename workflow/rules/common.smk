# Helpers for the rule files. What a rule writes is declared once, in scripts/contracts.py;
# which of the pipeline's modules its script imports is read from the code itself.


def fingerprint(*keys):
    """A param that reruns the rule when these config sections change, without copying
    them into Snakemake's metadata and report (scripts/config_check.py)."""
    return config_fingerprint(config, keys)


def code(script):
    """The modules a rule's script imports (directly or not), as inputs: Snakemake tracks
    changes to the script itself, not to what it imports (scripts/module_deps.py)."""
    return module_files(script)


def outputs(rule_name, skip=()):
    """The files a rule writes, by name, as scripts/contracts.py declares them."""
    out = {}
    for r in produced_by(rule_name):
        if r.key in skip:
            continue
        path = r.target
        if r.directory:
            path = directory(path)
        elif r.caption:
            path = report(
                path, caption=f"../report/{r.caption}.rst", category=r.category
            )
        out[r.key] = path
    return out


def all_results(kinds=("csv", "json"), exclude=("report_facts", "report")):
    """Every result of the rules this study runs, by name (the report formats any of them)."""
    return {
        r.key: r.target
        for r in RESULTS_LIST
        if r.rule in RULES and r.rule not in exclude and r.format in kinds
    }


def optional_input(part, path):
    """An input that exists only when the study has that part: the path, or no file at all."""
    return (
        path
        if (part == "instrument" and PARTS["questionnaire"]) or PARTS.get(part)
        else []
    )
