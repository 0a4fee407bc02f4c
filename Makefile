# The two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install migrate seed lint bench serve clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## Serve the app on http://127.0.0.1:8000 with a Celery worker and beat (Ctrl-C stops all).
run: seed
	$(PY) manage.py collectstatic --noinput --verbosity 0
	scripts/run-dev.sh

## Lint, check migrations and run the whole test suite (browser tests included).
test: install
	scripts/ensure-chromium.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## Benchmarks on PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/mk_bench, recreated):
## prints a table and writes benchmarks/results.json. BENCH_ARGS="--scale 0.1" for a quick run. See README "Performance".
bench: install
	$(PY) -m benchmarks.run $(BENCH_ARGS)

## Production: gunicorn + a Celery worker + one beat against PostgreSQL and Redis from the environment
## (SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL). See README "Deploying and scaling out".
serve: install
	scripts/serve.sh all

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf var staticfiles
