# 参加支援マッチング — the two commands of the quick start, and the pieces they are made of.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test install system-deps check lint clean
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Fresh clone → venv with the CPU build of torch pinned, then the project and its test tools.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

# Installs, starts the embedded database, loads the demo data and serves the UI. MATCHER_DEMO=1 lets
# the demo accounts' published passwords work (outside the demo they are refused).
demo: export MATCHER_DEMO := 1
demo: install
	$(BIN)/matcher db migrate
	$(BIN)/matcher seed
	$(BIN)/matcher demo-accounts --port $(PORT)
	$(BIN)/matcher serve --port $(PORT)

# Debian's Chromium (driven by Playwright) and Japanese fonts for the browser tests.
system-deps:
	@dpkg -s chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0)

# Installs what the tests need, checks style and types, and runs every test.
test: install system-deps lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check matcher web tests benchmarks notebooks/build_01.py notebooks/build_02.py notebooks/build_common.py
	$(BIN)/ruff format --check matcher web tests benchmarks
	$(BIN)/mypy matcher web

check: lint test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
