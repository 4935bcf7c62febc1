# Maillage — two commands for a newcomer: `make demo` and `make test`.
SHELL := /bin/bash
# The newest supported Python found: 3.13 (Debian 13), 3.12 (Ubuntu 24.04), 3.11 (Debian 12).
# A name is taken only if it runs (a pyenv shim for a version not selected does not).
SUPPORTED_PYTHONS := python3.13 python3.12 python3.11
ifeq ($(origin PYTHON),undefined)
PYTHON := $(firstword $(foreach p,$(SUPPORTED_PYTHONS),$(shell $(p) -c 'import sys; print("$(p)") if (3, 11) <= sys.version_info[:2] <= (3, 13) else None' 2>/dev/null)))
endif
VENV := .venv
UV := $(VENV)/bin/uv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
CHROMIUM ?= /usr/bin/chromium
PG_URL ?= postgres://postgres@127.0.0.1:5432/maillage_test
# The suite on every core, one file per worker at a time (module fixtures stay shared; the
# API fuzzing is dealt in parts, maillage.testing.xdist_groups); the slowest tests listed;
# TEST_WORKERS=0 runs it in this process (docs/decisions.md, "Suite time").
TEST_WORKERS ?= auto
PYTEST := $(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=15

.PHONY: install python-deps frontend-deps frontend chromium demo serve test test-sqlite test-postgres lint typecheck test-frontend test-browser bench clean

install: python-deps frontend

$(UV):
	@[ -n "$(PYTHON)" ] || { echo "Python 3.11, 3.12 ou 3.13 introuvable (python3.13, python3.12, python3.11). Installez-en un (apt-get install python3 python3-venv) puis relancez." >&2; exit 1; }
	@echo "Python choisi : $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV) || { echo "Impossible de créer l'environnement $(VENV) avec $(PYTHON) : installez le paquet venv de cette version (apt-get install python3-venv)." >&2; rm -rf $(VENV); exit 1; }
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'uv>=0.5,<1'

python-deps: $(UV)
	$(UV) sync --locked --python $(PYTHON) --quiet

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null || { echo "npm introuvable : installez Node.js 20+ (apt-get install nodejs npm)." >&2; exit 1; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error

frontend-deps: frontend/node_modules/.package-lock.json

frontend: frontend-deps
	cd frontend && npm run --silent build

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "Chromium absent : installation du paquet Debian « chromium »…"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; \
	  [ -x "$(CHROMIUM)" ] || { echo "Impossible d'installer Chromium ($(CHROMIUM)) : lancez « apt-get install chromium » en root." >&2; exit 1; }; \
	fi

# `make demo SIMULATE=0`: without the simulated reports (one every two minutes or so).
SIMULATE ?= 1
demo: install
	$(VENV)/bin/maillage demo $(if $(filter 0 no false,$(SIMULATE)),--no-simulate,)

serve: install
	$(VENV)/bin/maillage serve

lint: python-deps
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports

# The app (DOM) and its service worker (WebWorker, tsconfig.sw.json) are two programs.
typecheck: python-deps frontend-deps
	$(VENV)/bin/mypy
	cd frontend && npm run --silent typecheck

test-frontend: frontend-deps
	cd frontend && npx vitest run

# Each of the two costliest parts runs in one pass (docs/decisions.md, "Suite time"):
# the browser tests on SQLite, the API fuzzing on PostgreSQL.
test-sqlite: install chromium
	DATABASE_URL= $(PYTEST) -m "not fuzz"

test-postgres: install chromium
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(PYTEST) -m "not browser"

# The browser tests alone, on the database of DATABASE_URL (SQLite when unset).
test-browser: install chromium
	$(PYTEST) -m browser

test: install chromium lint typecheck test-frontend test-sqlite test-postgres

bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist var
