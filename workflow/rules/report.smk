# The reviewer's report: the facts its sentences state (report_facts), then the report. Every
# result of the rules that run is an input, so a change to any of them rebuilds the report.


rule report_facts:
    input:
        **all_results(),
        code=code("report_facts"),
        instrument=optional_input("instrument", config.get("instrument")),
    output:
        **outputs("report_facts"),
    log:
        "results/logs/report_facts.log",
    conda:
        "../../environment.yml"
    params:
        config_sha256=fingerprint("study", "analysis", "qualitative"),
    script:
        "../../scripts/report_facts.py"


rule report:
    input:
        **all_results(kinds=("csv", "json", "png")),
        facts=rules.report_facts.output.facts,
        code=code("report"),
        template="reports/report.qmd.j2",
        css="reports/report.css",
        instrument=optional_input("instrument", config.get("instrument")),
        published=optional_input("published", config["inputs"].get("published")),
        relations=optional_input(
            "published", config["inputs"].get("published_relations")
        ),
        records=config["inputs"].get("generator_records", []),
    output:
        **outputs(
            "report",
            skip=[f for f in ("html", "pdf") if f not in config["report"]["formats"]],
        ),
    log:
        "results/logs/report.log",
    conda:
        "../../environment.yml"
    params:
        config_sha256=fingerprint(*config),
    script:
        "../../scripts/report.py"
