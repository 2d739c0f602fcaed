# Theme tabulation from the anonymised coded segments: Table 4, focus-group themes, quotes.


rule themes:
    input:
        code=code("themes"),
        segments=rules.anonymise_freetext.output.segments,
        notes=rules.anonymise_freetext.output.notes,
        export_codebook=rules.anonymise_freetext.output.export_codebook,
        transcripts=rules.anonymise_freetext.output.transcripts,
    output:
        **outputs("themes"),
    log:
        "results/logs/themes.log",
    conda:
        "../../environment.yml"
    params:
        codebook=config["qualitative"]["codebook"],
        quotes=config["qualitative"]["quotes"],
    script:
        "../../scripts/themes.py"
