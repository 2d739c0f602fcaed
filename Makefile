# Two commands on a fresh machine with Python >= 3.11 and make:
#   make report   set up .venv from the pinned requirements, then run the whole pipeline
#                 (CONFIG=my_study.yaml runs another study's config instead of config.yaml)
#   make test     set up the same .venv, then run the test suite
# Other targets: lint, bench, provenance (Snakemake's report: results/provenance.zip),
# synthetic (regenerate the committed synthetic study), docs (docs/outputs.md from the
# result contracts), clean, lock, and
#   make inspect FILE=export [CONFIG=my.yaml] [DICTIONARY=redcap_dictionary.csv]
# (how the pipeline would read a survey or coded QDA export; prints counts, writes nothing).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-requirements
CORES  ?= 2

# Reproducible dates: unless the caller sets SOURCE_DATE_EPOCH, use the last commit's time.
# Exported only when known: an empty value breaks libraries that read it.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
ifneq ($(strip $(SOURCE_DATE_EPOCH)),)
export SOURCE_DATE_EPOCH
else
unexport SOURCE_DATE_EPOCH
endif
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg

.PHONY: report test lint bench synthetic provenance docs clean lock env inspect

env: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "make: Python >= 3.11 is required; found " + sys.version.split()[0] + " (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@cp requirements.txt $(STAMP)

report: $(STAMP)
	$(BIN)/python tools/pipeline.py --cores $(CORES) $(if $(CONFIG),--configfile $(CONFIG))

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check scripts tools tests
	$(BIN)/ruff format --check scripts tools tests
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint --cores 1

provenance: $(STAMP)
	$(BIN)/snakemake --report results/provenance.zip

inspect: $(STAMP)
	@test -n "$(FILE)" || { echo "usage: make inspect FILE=path/to/export [CONFIG=my.yaml] [DICTIONARY=redcap_dictionary.csv]" >&2; exit 2; }
	$(BIN)/python tools/inspect_export.py "$(FILE)" $(if $(CONFIG),--config "$(CONFIG)") $(if $(DICTIONARY),--dictionary "$(DICTIONARY)")

bench: $(STAMP)
	$(BIN)/python tools/benchmark.py

docs: $(STAMP)
	$(BIN)/python tools/gen_docs.py

synthetic: $(STAMP)
	$(BIN)/python tools/synth_survey.py --out data/synthetic
	$(BIN)/python tools/synth_qual.py --out data/synthetic

clean:
	rm -rf results .snakemake

lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet -r requirements.in
	{ echo "# Pinned, resolved from requirements.in with Python 3.11 (pip freeze in a clean venv)."; \
	  echo "# Regenerate with \`make lock\`. Do not edit by hand."; \
	  .lockenv/bin/pip freeze --all | grep -v -E '^(pip|setuptools|wheel)=='; } > requirements.txt
	rm -rf .lockenv
