# The README's quick start: `make run` and `make test`. Both work from a clean clone.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
export LAUNCHGAP_HOST ?= 127.0.0.1
export LAUNCHGAP_PORT ?= 8000

.PHONY: run test install install-dev migrate lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamp files make re-runs quick: pip runs again only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/launchgap db upgrade

## Serve the dashboard and API on http://$(LAUNCHGAP_HOST):$(LAUNCHGAP_PORT)/ with the watchers, on SQLite.
run: migrate
	$(BIN)/launchgap serve

## Install the dev dependencies and run the whole suite (ruff included).
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .ruff_cache
