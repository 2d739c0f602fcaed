# Intercoder agreement of the qualitative coding (percent agreement, Cohen's kappa,
# Krippendorff's alpha), from the anonymised coded segments and the redacted documents.


rule intercoder_agreement:
    input:
        code=code("intercoder_agreement"),
        segments=rules.anonymise_freetext.output.segments,
        notes=rules.anonymise_freetext.output.notes,
        transcripts=rules.anonymise_freetext.output.transcripts,
        export_codebook=rules.anonymise_freetext.output.export_codebook,
    output:
        **outputs("intercoder_agreement"),
    log:
        "results/logs/intercoder_agreement.log",
    conda:
        "../../environment.yml"
    params:
        codebook=config["qualitative"]["codebook"],
        agreement=config["qualitative"].get("agreement", {}),
        # A function, so that the regex's braces are not read as wildcards.
        speaker_pattern=lambda wildcards: config["qualitative"]["transcripts"][
            "speaker_pattern"
        ],
    script:
        "../../scripts/intercoder_agreement.py"
