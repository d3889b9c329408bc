# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: run test lint format install migrate demo worker beat pipeline clean screenshots bench scaleout

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

.env:
	$(PYTHON) bin/write-env .env

migrate: install .env
	mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py import_directory demo/directory.json
	@echo
	@echo "Demo logins (password: keyservice-demo):"
	@echo "  owner@example.com     owns the demo projects"
	@echo "  full@example.com      member with FULL on Showroom and Configurator"
	@echo "  readonly@example.com  member with READONLY on Showroom"
	@echo "  outsider@example.com  no access to the owner's projects"
	@echo

run: demo
	@echo "Serving on http://$(HOST)/ (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Browser tests only, writing docs/screenshots/*.png. Needs PostgreSQL (DATABASE_URL=postgres://…)
# and Debian's chromium (apt-get install chromium): missing either fails instead of skipping.
screenshots: install
	KEYSERVICE_SCREENSHOTS=1 KEYSERVICE_REQUIRE_SERVICES=1 $(VENV)/bin/pytest -q -m e2e tests/e2e $(PYTEST_ARGS)

# The benchmark (docs/performance.md): its own venv (bench/.venv), wrk from apt, a fresh
# PostgreSQL database, gunicorn, ~15 min on 2 cores. BENCH_QUICK=1 for a short run (~3 min).
bench:
	PYTHON=$(PYTHON) bench/bench.sh

# Scale-out (docs/scaling.md): 4 gunicorn replicas, 2 Celery workers and beat behind HAProxy
# (installed from Debian if missing), a private redis-server and a fresh PostgreSQL database;
# contract tests over HTTP, the stale-accept race, a Redis outage, the email count. ~5-8 min.
# Uses the project's venv (run `make install` once first).
scaleout:
	VENV=$(VENV) bench/scaleout.sh

# Development: one worker for the email queue (celery) and the webhooks queue; production runs
# one per queue (docker-compose.yml: worker, worker-webhooks).
worker: install .env
	$(VENV)/bin/celery -A keyservice worker -Q celery,webhooks --loglevel=INFO

# Development only: walks every upload through the build lifecycle (needs REDIS_URL).
pipeline: install .env
	$(PY) manage.py pipeline_simulate

beat: install .env
	$(VENV)/bin/celery -A keyservice beat --loglevel=INFO

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache staticfiles
