# Theme tabulation from the anonymised coded segments: Table 4, focus-group themes, quotes.


rule themes:
    input:
        code=code("qda"),
        segments=rules.anonymise_freetext.output.segments,
        notes=rules.anonymise_freetext.output.notes,
        codebook=rules.anonymise_freetext.output.codebook,
        transcripts=rules.anonymise_freetext.output.transcripts,
    output:
        table4=report(
            "results/tables/table4_flipchart_themes.csv",
            caption="../report/table4.rst",
            category="Qualitative tables",
        ),
        focus_groups=report(
            "results/tables/focus_group_themes.csv",
            caption="../report/focus_groups.rst",
            category="Qualitative tables",
        ),
        sizes="results/tables/focus_group_sizes.csv",
        quotes="results/tables/theme_quotes.csv",
        codebook="results/tables/codebook.csv",
    log:
        "results/logs/themes.log",
    conda:
        "../../environment.yml"
    params:
        codebook=config["qualitative"]["codebook"],
        quotes=config["qualitative"]["quotes"],
    script:
        "../../scripts/themes.py"
