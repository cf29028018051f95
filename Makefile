# varsel: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test
# The W3C Nu HTML checker that the tests run over every page and mail (it needs Java).
VNU_VERSION := 26.9.27
VNU    := $(VENV)/vnu/node_modules/vnu-jar/build/dist/vnu.jar

.PHONY: run demo test lint migrate messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TESTSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

## run: install, migrate and start all four services on http://127.0.0.1:8000
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

# The gettext domains: each service's words, extracted from its templates and code.
DOMAINS := services/subscriptions:pages services/admin:admin services/mailer:mails
POT    := $(VENV)/messages

## messages: extract every domain's words into each language's catalogue (NEW_LANGUAGE=xx starts one)
messages: $(STAMP)
	@mkdir -p $(POT)
	@for pair in $(DOMAINS); do \
	  dir=$${pair%%:*}; domain=$${pair##*:}; \
	  $(BIN)/pybabel -q extract -F $$dir/locale/babel.cfg --no-location --sort-output \
	    --add-comments=Translators: --width=100 -o $(POT)/$$domain.pot $$dir || exit 1; \
	  if [ -n "$(NEW_LANGUAGE)" ]; then \
	    $(BIN)/pybabel -q init --width=100 -l $(NEW_LANGUAGE) \
	      -i $(POT)/$$domain.pot -d $$dir/locale -D $$domain || exit 1; \
	  fi; \
	  $(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date \
	    --width=100 -i $(POT)/$$domain.pot -d $$dir/locale -D $$domain || exit 1; \
	done

$(VNU): | $(BIN)/python
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix $(VENV)/vnu --no-save --no-audit --no-fund --loglevel=error \
	    vnu-jar@$(VNU_VERSION) || echo "make: could not fetch the HTML checker: its tests skip"; \
	else \
	  echo "make: npm is missing, so the HTML checker's tests skip (.ci/run installs it)"; \
	fi

# Three pytest workers (pytest-xdist), each taking whole groups of tests (tests/support/
# worker_groups.py names them): every test that starts processes of its own (browser/, e2e/)
# runs on one worker, one after another, while the second takes the tests that run in process;
# the third takes only the tests that mostly wait (the distributed tier's stopped and
# restarted servers, two watchers counted over eight poll intervals, SIGTERM's grace periods)
# and stops when they are done, so their waits overlap the others' work on the two cores.
# Whichever is done first takes the groups left. One report for all, with the 25 slowest
# tests; any failure fails it.
WORKERS := -n 3 --dist loadscope --no-loadscope-reorder

## test: install test dependencies, lint, and run the whole suite
test: lint $(VNU)
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q -ra $(WORKERS) --durations=25

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
