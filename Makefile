# Closed Loop: `make run` serves the dashboard, `make test` runs every test.
# Settings (environment or make variables):
#   CLOSEDLOOP_DB  database to serve (default data/closedloop.duckdb, built from the sample if absent)
#   PORT           port of the dashboard (default 8501)
#   PYTHON         interpreter that creates the virtual environment (default python3, 3.11+)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEFAULT_DB := data/closedloop.duckdb
CLOSEDLOOP_DB ?= $(DEFAULT_DB)
PORT ?= 8501
# make loadtest: SESSIONS browser sessions use one dashboard at once (tests/loadtest.py; make test runs 10)
SESSIONS ?= 25
# make bench: the scales (10k, 100k, 1m) and runs per workload; `make bench SCALES=10k` is quick
BENCH_VENV := bench/.venv
BENCH_PY := $(BENCH_VENV)/bin/python
SCALES ?= 10k,100k,1m
REPEATS ?= 3
# make test: the suite on one worker per core, at most 4 (pytest-xdist; tests/conftest.py keeps a
# module's tests, and all Spark tests, on one worker); PYTEST_WORKERS= runs it in one process
PYTEST_WORKERS ?= -n auto --maxprocesses 4 --dist loadgroup

.PHONY: run test sample lint loadtest bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

run: $(VENV)/.installed
	@if [ ! -f "$(CLOSEDLOOP_DB)" ]; then \
		if [ "$(CLOSEDLOOP_DB)" = "$(DEFAULT_DB)" ]; then \
			echo "Building the sample database $(DEFAULT_DB) (first run only)…"; \
			$(PY) -m closedloop sample --db "$(DEFAULT_DB)" || exit 1; \
		else \
			echo "error: no database at CLOSEDLOOP_DB=$(CLOSEDLOOP_DB). Build one with" \
			     "'$(PY) -m closedloop sample --db $(CLOSEDLOOP_DB)' or import your data (see README)." >&2; \
			exit 1; \
		fi; \
	fi
	@# after an upgrade that changed queries/derived_build.sql, or writes that bypassed `import`
	$(PY) -m closedloop refresh --db "$(CLOSEDLOOP_DB)" --if-stale
	@echo "Serving $(CLOSEDLOOP_DB) at http://localhost:$(PORT)"
	CLOSEDLOOP_DB="$(CLOSEDLOOP_DB)" $(PY) -m streamlit run dashboard.py --server.port $(PORT)

sample: $(VENV)/.installed
	$(PY) -m closedloop sample --db "$(CLOSEDLOOP_DB)" --force

test: $(VENV)/.test-installed
	@bash scripts/ensure-chromium
	@bash scripts/ensure-java
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_WORKERS)

# ruff, ruff format, mypy on the core (pyproject.toml [tool.mypy]) and the layer contracts
# (pyproject.toml [tool.importlinter], docs/architecture.md); .pre-commit-config.yaml runs the same
lint: $(VENV)/.test-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

# SESSIONS headless Chromium sessions open every page of a dashboard served on 127.0.0.1 while they save
# notes and verdicts and one imports from the Data page; fails on any traceback, lost or duplicated note
loadtest: $(VENV)/.test-installed
	@bash scripts/ensure-chromium
	$(PY) tests/loadtest.py --sessions $(SESSIONS)

# The benchmark's own environment: the app's pinned requirements plus the peers
# (bench/requirements.txt). ChannelAttribution builds from its sdist and needs setuptools>=77,
# Cython and numpy installed first, then --no-build-isolation.
$(BENCH_VENV)/.installed: requirements.txt bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet -r requirements.txt
	$(BENCH_PY) -m pip install --quiet "setuptools>=77" Cython matplotlib
	$(BENCH_PY) -m pip install --quiet --no-build-isolation -r bench/requirements.txt
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_PY) bench/run.py --scales $(SCALES) --repeats $(REPEATS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache tests/artifacts
