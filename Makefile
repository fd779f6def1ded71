# Two entry points: `make export` (sample sources → output/) and `make test` (lint, types, tests).
# Both build everything they need from scratch on a fresh machine: the virtual environment, the Debian
# packages the tests use (installed only when missing), and the npm-based validators.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FORMATS ?= all

# Debian packages the test suite needs (checked with dpkg first; installed only when absent).
DEB_PACKAGES ?=

.PHONY: export test setup system-deps lint clean

export: setup
	$(BIN)/exporter export sources --to $(FORMATS) -o output

test: setup system-deps lint
	$(BIN)/pytest -q

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

lint: setup
	$(BIN)/ruff check exporter tests
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
