# The two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Two locked requirement files (make lock): requirements.txt is what the app runs on; requirements-dev.txt
# adds the tests, linters and type checker. run/serve/migrate/seed/bench install only the first.
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PIP_INSTALL := $(PY) -m pip install --quiet --require-hashes --no-deps
# pytest-xdist workers: one per core by default; PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= auto

.PHONY: run test install install-dev migrate seed lint bench load serve lock clean screenshots

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PIP_INSTALL) -r requirements.txt
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(PIP_INSTALL) -r requirements.txt -r requirements-dev.txt
	touch $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## Serve the app on http://127.0.0.1:8000 with a Celery worker and beat (Ctrl-C stops all).
run: seed
	$(PY) manage.py collectstatic --noinput --verbosity 0
	scripts/run-dev.sh

## Lint, check migrations, the import contract and the types, then run the whole test suite
## (browser tests included) in parallel, one pytest-xdist worker per core.
test: lint
	scripts/ensure-chromium.sh
	scripts/ensure-proxy.sh
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## A PNG of each main page at 390x844 and 1366x900 into docs/screenshots/ (demo data on a live server;
## tests/e2e/screenshots.py, which the test suite does not run).
screenshots: install-dev
	scripts/ensure-chromium.sh
	$(VENV)/bin/pytest tests/e2e/screenshots.py -n 0 -p no:randomly -q -s

## Benchmarks on PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/mk_bench, recreated):
## prints a table and writes benchmarks/results.json. BENCH_ARGS="--scale 0.1" for a quick run. See README "Performance".
bench: install
	$(PY) -m benchmarks.run $(BENCH_ARGS)

## Load: the product's people (Locust, benchmarks/locustfile.py) against two web nodes, two workers and one beat
## behind haproxy on loopback (PostgreSQL LOAD_DATABASE_URL, recreated; Redis LOAD_REDIS_URL). Prints a table
## and writes benchmarks/load.json. LOAD_ARGS="--goal-seconds 30 --steps 20,60" for a quick run. README "Deploying".
load: install-dev
	scripts/ensure-proxy.sh
	$(PY) -m benchmarks.load $(LOAD_ARGS)

## Production: gunicorn + a Celery worker + one beat against PostgreSQL and Redis from the environment
## (SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL). See README "Deploying and scaling out".
serve: install
	scripts/serve.sh all

## ruff (lint and format), migrations up to date, the apps' layers (.importlinter), mypy (pyproject.toml).
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

## Re-lock requirements*.txt (with hashes) from requirements*.in, keeping every pin that still fits;
## LOCK_ARGS=--upgrade (or --upgrade-package NAME) moves them.
LOCK := CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: install-dev
	$(LOCK) --output-file requirements.txt requirements.in
	$(LOCK) --output-file requirements-dev.txt requirements-dev.in

clean:
	rm -rf var staticfiles
