# Bridgework: `make demo` runs the sample organisation end to end; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
PEOPLE ?= 300

.PHONY: demo test lint format serve install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

## demo: install, generate a sample organisation, ingest it, analyse it, print the admin login,
## serve http://127.0.0.1:$(PORT) (plain HTTP on loopback, so the session cookie may go without TLS)
demo: install
	$(BIN)/flask --app app secret-key
	$(BIN)/flask --app app demo --people $(PEOPLE)
	$(BIN)/flask --app app user demo-admin
	BRIDGEWORK_SESSION_COOKIE_SECURE=false $(BIN)/flask --app app run --host 127.0.0.1 --port $(PORT)

## test: install, lint, then the whole suite (a real Neo4j is started by the tests)
test: install-test lint
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

serve: install
	$(BIN)/flask --app app secret-key
	BRIDGEWORK_SESSION_COOKIE_SECURE=false $(BIN)/flask --app app run --host 127.0.0.1 --port $(PORT)

bench: install
	$(BIN)/python bench/store_write.py --neo4j

clean:
	rm -rf $(VENV) instance tests/neo4j/launcher/target
