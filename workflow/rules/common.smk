# Helpers for the rule files: which parts of the config a rule depends on. Passing them as
# params makes Snakemake rerun the rule when they change.


def settings(*keys):
    return {k: config[k] for k in keys}
