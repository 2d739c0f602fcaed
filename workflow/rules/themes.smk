# Theme tabulation from the anonymised coded segments: Table 4, focus-group themes, themes
# by people (participants per group and per professional group), quotes.


rule themes:
    input:
        code=code("themes"),
        segments=rules.anonymise_freetext.output.segments,
        notes=rules.anonymise_freetext.output.notes,
        export_codebook=rules.anonymise_freetext.output.export_codebook,
        transcripts=rules.anonymise_freetext.output.transcripts,
        speaker_groups=rules.anonymise_freetext.output.speaker_groups,
    output:
        **outputs("themes"),
    log:
        "results/logs/themes.log",
    conda:
        "../../environment.yml"
    params:
        codebook=config["qualitative"]["codebook"],
        quotes=config["qualitative"]["quotes"],
        consensus=config["qualitative"].get("consensus"),
        k=config["k_anonymity"]["k"],  # cells of fewer people than k are suppressed
        speaker_grouping=config["qualitative"].get("speaker_grouping"),
        demographics=config.get("demographics", {}),
    script:
        "../../scripts/themes.py"
