# keyservice: two commands on a fresh machine, `make run` and `make test` (`make help`).
# Without DATABASE_URL / REDIS_URL, both use this checkout's private PostgreSQL 16 and Redis
# (devstack/: data and sockets under var/), started on demand and stopped after the last user.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
ADDRESS ?= 127.0.0.1:$(PORT)
# Parallel test processes (pytest-xdist): one per core, at most 4; `TEST_PROCESSES=0` for one.
TEST_PROCESSES ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)

.DEFAULT_GOAL := help
.PHONY: help run test lint format install services services-stop env migrate \
	pipeline clean screenshots bench scaleout

help: ## List the targets
	@echo "keyservice — make <target> (PORT=8000 by default: make run PORT=8080)"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The browser tests' axe-core (package.json, pinned by package-lock.json). Without npm the
# rest still installs; the browser tests then skip (fail under KEYSERVICE_REQUIRE_SERVICES=1).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "make: npm is missing: the browser tests need axe-core (apt-get install npm)" >&2; fi

install: $(VENV)/.installed node_modules/.installed ## Create .venv and install requirements-dev.txt; npm ci (axe-core for the browser tests)

.env:
	$(PYTHON) bin/write-env .env

run: install .env ## Serve on 127.0.0.1:8000 (PORT=8080 for another): web, workers, beat, demo data; Ctrl-C stops all
	$(PY) -m devstack run --address $(ADDRESS)

test: lint ## Lint, type-check, then the whole suite in parallel (~7 min on 2 cores)
	$(VENV)/bin/pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

lint: install ## ruff format --check, ruff check, mypy
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

format: install ## Reformat and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

services: install ## Start the private PostgreSQL and Redis and keep them running
	$(PY) -m devstack up

services-stop: install ## Stop them
	$(PY) -m devstack down

env: install ## Start them (as services) and print their URLs as exports: eval "$(make -s env)"
	@$(PY) -m devstack env

migrate: install .env ## Apply migrations to the development database
	$(PY) manage.py migrate --noinput

# Browser tests only, writing docs/screenshots/*.png; needs Debian's chromium (apt-get install
# chromium): missing it fails instead of skipping.
screenshots: install ## Refresh docs/screenshots from the browser tests
	KEYSERVICE_SCREENSHOTS=1 KEYSERVICE_REQUIRE_SERVICES=1 $(VENV)/bin/pytest -q -m e2e tests/e2e $(PYTEST_ARGS)

# Its own venv (bench/.venv), wrk from apt, a fresh PostgreSQL database, gunicorn.
bench: ## The benchmark behind docs/performance.md (~15 min; BENCH_QUICK=1: ~3 min)
	PYTHON=$(PYTHON) bench/bench.sh

# 4 gunicorn replicas, 2 Celery workers and beat behind HAProxy (installed from Debian if
# missing), a private redis-server and a fresh PostgreSQL database.
scaleout: install ## The scale-out run behind docs/scaling.md (~5-8 min)
	VENV=$(VENV) bench/scaleout.sh

# Development only: walks every upload through the build lifecycle.
pipeline: install .env ## Simulate the build pipeline for new uploads
	$(PY) manage.py pipeline_simulate

clean: ## Stop the private servers; remove .venv and caches (var/ keeps the data)
	-[ -x $(PY) ] && $(PY) -m devstack down
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .mypy_cache staticfiles
