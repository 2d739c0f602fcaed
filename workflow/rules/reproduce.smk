# The published figures against arithmetic and each other (consistency audit, which also
# validates them once), then against the results (reproduction check).


rule consistency_audit:
    input:
        code=code("consistency_audit"),
        figures=config["inputs"]["published"],
        relations=config["inputs"]["published_relations"],
        records=config["inputs"]["generator_records"],
    output:
        **outputs("consistency_audit"),
    log:
        "results/logs/consistency_audit.log",
    conda:
        "../../environment.yml"
    script:
        "../../scripts/consistency_audit.py"


rule reproduction_check:
    input:
        code=code("reproduction_check"),
        published_figures=rules.consistency_audit.output.published_figures,
        figure_notes=rules.consistency_audit.output.figure_notes,
        # exactly the result files the published figures' compute specs read
        results=[f"results/{p}" for p in spec_files(config["inputs"]["published"])],
    output:
        **outputs("reproduction_check"),
    log:
        "results/logs/reproduction_check.log",
    conda:
        "../../environment.yml"
    params:
        # the results folder, derived from the output path (no hard-coded prefix)
        results_dir=lambda w, output: output[0].rsplit("/reproduction/", 1)[0],
    script:
        "../../scripts/reproduction_check.py"
