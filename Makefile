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

.PHONY: run test sample lint bench clean

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
	@echo "Serving $(CLOSEDLOOP_DB) at http://localhost:$(PORT)"
	CLOSEDLOOP_DB="$(CLOSEDLOOP_DB)" $(PY) -m streamlit run dashboard.py --server.port $(PORT)

sample: $(VENV)/.installed
	$(PY) -m closedloop sample --db "$(CLOSEDLOOP_DB)" --force

test: $(VENV)/.test-installed
	@bash scripts/ensure-chromium
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(VENV)/.test-installed
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts
