# Two entry points: `make export` (sample sources → output/) and `make test` (lint, types, tests).
# Both build everything they need from scratch on a fresh machine: the virtual environment, the Debian
# packages the tests use (installed only when missing), and the npm-based validators.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FORMATS ?= all

# Debian packages the test suite needs (checked with dpkg first; installed only when absent):
# WeasyPrint's Pango stack, Noto fonts for scripts the themes do not cover, poppler for pdftotext/pdftoppm,
# a JDK for EPUBCheck and the Nu checker (javac runs EPUBCheck over many books in one JVM), Chromium for
# DAISY Ace, LibreOffice to prove the DOCX files open.
DEB_PACKAGES ?= libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fontconfig fonts-noto-core fonts-dejavu-core \
	poppler-utils openjdk-17-jdk-headless chromium libreoffice-writer-nogui

# npm validators, kept in a project-local, git-ignored folder.
TOOLS   := .tools
VNU_JAR := $(TOOLS)/node_modules/vnu-jar/build/dist/vnu.jar
ACE     := $(TOOLS)/node_modules/.bin/ace-puppeteer
export PUPPETEER_EXECUTABLE_PATH ?= /usr/bin/chromium

.PHONY: export test setup system-deps tools lint check docs clean

export: setup
	$(BIN)/exporter export sources --to $(FORMATS) -o output

test: setup system-deps tools lint
	$(BIN)/pytest -q -n 2

check: export
	$(BIN)/exporter check output

docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

tools: system-deps $(VNU_JAR) $(ACE)

$(VNU_JAR) $(ACE):
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix $(TOOLS) --ignore-scripts --no-audit --no-fund \
		vnu-jar@26 @daisy/ace@1

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
	rm -rf $(VENV) $(TOOLS) build dist .pytest_cache .mypy_cache .ruff_cache
