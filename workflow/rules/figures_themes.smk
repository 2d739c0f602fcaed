# Figures of the qualitative arm (PNG and SVG, byte-identical on reruns), drawn while the
# statistics of the questionnaire still run.


rule figures_themes:
    input:
        code=code("figures_themes"),
        table4=rules.themes.output.table4,
        focus_groups=rules.themes.output.focus_groups,
    output:
        **outputs("figures_themes"),
    log:
        "results/logs/figures_themes.log",
    conda:
        "../../environment.yml"
    params:
        sheet_titles=config["qualitative"]["flipchart"]["sheet_titles"],
        synthetic=config["study"]["synthetic"],
    script:
        "../../scripts/figures_themes.py"
