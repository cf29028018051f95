# varsel: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test

.PHONY: run demo test lint migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TESTSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

## run: install, migrate and start all three services on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/varsel run --migrate

## demo: serve local sample pages, watch them and change one every minute
demo: $(STAMP)
	$(BIN)/varsel demo

migrate: $(STAMP)
	$(BIN)/varsel migrate

## lint: ruff, mypy and the import contracts between services and layers
lint: $(TESTSTAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

## test: install test dependencies, lint, and run the whole suite
test: lint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q -ra

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
