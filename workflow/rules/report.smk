# The reviewer's report. Every file it formats is an input, so a change to any of them
# rebuilds it (Quarto's freeze is not relied on).


rule report:
    input:
        **all_results(),
        code=code("report"),
        qmd="reports/report.qmd",
        css="reports/report.css",
        instrument=config["instrument"],
        published=config["inputs"]["published"],
        relations=config["inputs"]["published_relations"],
        records=config["inputs"]["generator_records"],
        figures=list(all_results(kinds=("png",)).values()),
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
