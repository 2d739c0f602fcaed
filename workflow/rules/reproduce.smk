# The published figures against the results (reproduction check), and against arithmetic
# and each other (consistency audit).


rule reproduction_check:
    input:
        code=code("audit"),
        figures=config["inputs"]["published"],
        relations=config["inputs"]["published_relations"],
        results=[
            rules.anonymise_survey.output.sample,
            rules.anonymise_survey.output.questionnaire,
            rules.anonymise_freetext.output.notes,
            rules.table1.output[0],
            rules.reliability.output.table2,
            rules.reliability.output.item_statistics,
            rules.reliability.output.table3,
            rules.themes.output.sizes,
            rules.themes.output.focus_groups,
            rules.themes.output.table4,
        ],
    output:
        report(
            "results/reproduction/checks.csv",
            caption="../report/checks.rst",
            category="Against the paper",
        ),
    log:
        "results/logs/reproduction_check.log",
    conda:
        "../../environment.yml"
    params:
        # the results folder, derived from the output path (no hard-coded prefix)
        results_dir=lambda w, output: output[0].rsplit("/reproduction/", 1)[0],
    script:
        "../../scripts/reproduce.py"


rule consistency_audit:
    input:
        code=code(),
        figures=config["inputs"]["published"],
        relations=config["inputs"]["published_relations"],
        records=config["inputs"]["generator_records"],
    output:
        report(
            "results/reproduction/consistency_audit.csv",
            caption="../report/audit.rst",
            category="Against the paper",
        ),
    log:
        "results/logs/consistency_audit.log",
    conda:
        "../../environment.yml"
    script:
        "../../scripts/audit.py"
