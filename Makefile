# Two set-up commands, each self-sufficient on a fresh machine:
#   make run   -> installs kubekg into .venv and serves it on http://127.0.0.1:8000 (embedded store)
#   make test  -> installs kubekg with its test extras into .venv (and Chromium where it can) and runs the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kubekg serve

# Chromium and CJK fonts for the browser tests, wrk for kubekg bench; only attempted as root on Debian when missing.
system-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk wrk >/dev/null; \
	fi

test: $(STAMP) system-deps
	$(BIN)/ruff check service tests
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check service tests
	$(BIN)/ruff format --check service tests

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/kubekg bench

clean:
	rm -rf $(VENV) build dist .pytest_cache
