# Everything runs from a project-local virtual environment that the targets create themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck bench fuzz check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The benchmark's own extra (DuckDB), kept out of `make test` and CI.
$(VENV)/.installed-bench: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

# A fresh demo each time: sample data ending now, seven earlier weeks archived, every job run
# once, the daily report shown; this week's weekly report and digest show an 8-week trend and
# follow up last week's proposals.
DEMO := demo-run
demo: $(VENV)/.installed
	rm -rf $(DEMO)
	$(BIN)/ops-schedule demo --dir $(DEMO)
	$(BIN)/ops-schedule --config $(DEMO)/ops-schedule.json run --now
	@echo
	@echo "---- beginning of the daily report ----"
	@head -n 45 $(DEMO)/reports/daily_observability_report/*.md
	@echo "---- (the rest is in $(DEMO)/reports/) ----"
	@echo "trend and follow-up of last week's proposals:"
	@ls $(DEMO)/reports/weekly_improvement_digest/*.md | tail -n 1
	@ls $(DEMO)/reports/weekly_observability_report/*.md | tail -n 1
	@echo
	$(BIN)/ops-schedule --config $(DEMO)/ops-schedule.json status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy src

# The suite runs under two host zones: results must not depend on the machine's own zone.
# Slow tests and heavy zone-free property tests run under the first zone only.
test: lint typecheck
	TZ=America/Los_Angeles $(BIN)/python -m pytest
	TZ=UTC $(BIN)/python -m pytest -q -m "not slow and not property"

# Deployment files: Compose (docker-compose v1.29), a fresh-venv install as in the Dockerfile
# plus `loop`/`health`, the systemd unit, the Kubernetes manifests, the metrics of `run` with
# promtool and a real Pushgateway, the alert rules, the GitHub Actions recipe (actionlint).
# Needs the package registries.
check-deploy:
	PYTHON=$(PYTHON) sh deploy/check-deploy.sh

# The report engine's benchmark (several minutes; not part of `make test`).
# Smaller and faster: make bench BENCH_ARGS=--quick; a subset: BENCH_ARGS="--cases ab".
bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# Coverage-guided fuzzing of every reader of bytes (atheris), FUZZ_SECONDS per target; CI runs
# a few seconds each. One target: make fuzz FUZZ_TARGET=events. Found inputs: .fuzz/crashes/.
FUZZ_SECONDS ?= 60
FUZZ_TARGET ?= all
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz/run.py $(FUZZ_TARGET) --seconds $(FUZZ_SECONDS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache demo-run .fuzz
