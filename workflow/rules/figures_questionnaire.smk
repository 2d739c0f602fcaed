# Figures of the questionnaire arm (PNG and SVG, byte-identical on reruns). The theme figures
# are a rule of their own (figures_themes.smk), so a recoded segment does not redraw these.


rule figures_questionnaire:
    input:
        code=code("figures_questionnaire"),
        item_statistics=rules.reliability.output.item_statistics,
        subscale_scores=rules.score.output.subscale_scores,
        instrument=config["instrument"],
    output:
        **outputs("figures_questionnaire"),
    log:
        "results/logs/figures_questionnaire.log",
    conda:
        "../../environment.yml"
    params:
        by=config["figures"]["distributions_by"],
        demographics=config["demographics"],
        synthetic=config["study"]["synthetic"],
    script:
        "../../scripts/figures_questionnaire.py"
