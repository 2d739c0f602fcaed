# The reviewer's report. Every file it formats is an input, so a change to any of them
# rebuilds it (Quarto's freeze is not relied on).


rule report:
    input:
        code=code("audit", "instrument", "reliability", "reproduce"),
        qmd="reports/report.qmd",
        css="reports/report.css",
        instrument=config["instrument"],
        published=config["inputs"]["published"],
        relations=config["inputs"]["published_relations"],
        records=config["inputs"]["generator_records"],
        sample=rules.anonymise_survey.output.sample,
        anonymisation_log=rules.anonymise_survey.output.log,
        k_anonymity=rules.anonymise_survey.output.k_anonymity,
        raw_hashes_survey=rules.anonymise_survey.output.hashes,
        raw_hashes_freetext=rules.anonymise_freetext.output.hashes,
        redaction_log=rules.anonymise_freetext.output.log,
        table1=rules.table1.output[0],
        table2=rules.reliability.output.table2,
        item_statistics=rules.reliability.output.item_statistics,
        table3=rules.reliability.output.table3,
        fisher=rules.fisher_tests.output[0],
        scale_tests=rules.scale_group_tests.output[0],
        table4=rules.themes.output.table4,
        focus_groups=rules.themes.output.focus_groups,
        sizes=rules.themes.output.sizes,
        quotes=rules.themes.output.quotes,
        checks=rules.reproduction_check.output[0],
        audit=rules.consistency_audit.output[0],
        figures=[*rules.figures_questionnaire.output, *rules.figures_themes.output],
    output:
        **{
            fmt: (
                report(
                    f"results/report/report.{fmt}",
                    caption="../report/report.rst",
                    category="Report",
                )
                if fmt == "html"
                else f"results/report/report.{fmt}"
            )
            for fmt in config["report"]["formats"]
        },
        source=directory("results/report/source"),
        provenance="results/report/provenance.json",
    log:
        "results/logs/report.log",
    conda:
        "../../environment.yml"
    params:
        config_sha256=fingerprint(*config),
    script:
        "../../scripts/report.py"
