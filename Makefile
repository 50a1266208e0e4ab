# casualty-etl: `make run` and `make test` are all a new user needs (README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SHARED ?= ../shared

# Prefect's local mode with project-local state, no telemetry, quiet logs.
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_LOGGING_LEVEL ?= WARNING
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120

.DEFAULT_GOAL := help
.PHONY: help venv run test bench eval lint clean serve report browser

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the project (only when pyproject.toml changed)

run: $(STAMP) ## Run the ETL on the bundled sample articles into data/lake and print a summary
	$(BIN)/casualty-etl run data/samples --lake data/lake

serve: $(STAMP) ## Serve the ETL on the schedule of casualty-etl.toml (starts a local Prefect server)
	$(BIN)/casualty-etl serve

report: $(STAMP) ## Aggregate data/lake into incidents and rollups; write data/report/report.html and an HXL CSV
	$(BIN)/casualty-etl aggregate --lake data/lake
	$(BIN)/casualty-etl report --lake data/lake -o data/report
	$(BIN)/casualty-etl export-hxl --lake data/lake -o data/report/casualties-hxl.csv

test: $(STAMP) ## Run the whole test suite
	$(BIN)/python -m pytest

browser: ## Install headless Chromium (Debian's package, as root) for the report's browser test
	apt-get update && apt-get install -y chromium

bench: $(STAMP) ## Print throughput figures (extraction, end to end)
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_flow.py
	$(BIN)/python bench/bench_language.py

eval: $(STAMP) ## Score the extractor on every dev gold set in ../shared/eval and the team's blind sets, whole and in 2 folds
	@if [ -d "$(SHARED)/eval" ]; then \
	  for f in dev.jsonl dev-displacement.jsonl dev-fr.jsonl dev-es.jsonl; do \
	    if [ -f "$(SHARED)/eval/$$f" ]; then \
	      $(BIN)/casualty-etl evaluate $(SHARED)/eval/$$f --categories killed,injured,displaced,missing --folds 2 || exit 1; \
	    fi; \
	  done; \
	else echo "no $(SHARED)/eval here: only the team's sets are scored"; fi
	@for f in heldout_team heldout_team2_en heldout_team2_fr heldout_team2_es heldout_team3_en dev_team4_en heldout_team5_fr heldout_team5_es; do \
	  $(BIN)/casualty-etl evaluate tests/data/$$f.jsonl --categories killed,injured,displaced,missing --folds 2 || exit 1; \
	done

lint: $(STAMP) ## Check the code with ruff
	$(BIN)/ruff check casualty_etl flows schemas tests bench

clean: ## Remove the lake, Prefect state and caches (keeps .venv)
	rm -rf data/lake data/report .prefect .pytest_cache .ruff_cache .hypothesis bench/out
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
