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

# The distributed tier starts its own PostgreSQL and RabbitMQ and mostly waits on them (a broker
# down for 30 s, restarts), so it runs beside the rest of the suite instead of after it; its
# report follows the rest's, and either failing fails the run.
DIST_LOG := $(VENV)/distributed-tier.log

## test: install test dependencies, lint, and run the whole suite
test: lint $(VNU)
	@export PATH="$(CURDIR)/$(BIN):$$PATH"; \
	echo "make: tests/distributed runs beside the rest; its report follows theirs"; \
	$(BIN)/pytest -q -ra -p no:cacheprovider tests/distributed > $(DIST_LOG) 2>&1 & slow=$$!; \
	$(BIN)/pytest -q -ra --durations=25 --ignore=tests/distributed; rest=$$?; \
	wait $$slow; distributed=$$?; \
	echo "---- tests/distributed ----"; cat $(DIST_LOG); \
	test $$rest -eq 0 -a $$distributed -eq 0

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
