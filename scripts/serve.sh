#!/usr/bin/env bash
# Production serving: gunicorn (config/gunicorn.conf.py) + Celery worker(s) + exactly one beat,
# against PostgreSQL and Redis from the environment. See README "Deploying and scaling out".
#
#   scripts/serve.sh [all|web|worker|beat|release]
#
#   all      (default, what `make serve` runs) release, then web + one worker + the one beat on this machine
#   release  migrate + collectstatic, once per deploy (before starting new web nodes)
#   web      gunicorn only: run this on every web node behind the load balancer
#   worker   a Celery worker only: run as many as you like, on any machine
#   beat     the Celery beat scheduler only: run EXACTLY ONE in the whole deployment
#
# Required: SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL (postgres://...), REDIS_URL (redis://...).
# Optional: PORT/BIND, WEB_CONCURRENCY, CELERY_CONCURRENCY, STATIC_ROOT, MEDIA_ROOT, VAR_DIR,
#   FORWARDED_ALLOW_IPS (the load balancers' addresses, default 127.0.0.1) and TRUSTED_PROXY_COUNT (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."

ROLE="${1:-all}"
export DJANGO_ENV=production
export DJANGO_SETTINGS_MODULE=config.settings
PY="${PYTHON:-.venv/bin/python}"

missing=()
for name in SECRET_KEY ALLOWED_HOSTS DATABASE_URL REDIS_URL; do
  [[ -n "${!name:-}" ]] || missing+=("$name")
done
if ((${#missing[@]})); then
  echo "serve: set ${missing[*]} in the environment (see README \"Deploying and scaling out\")" >&2
  exit 2
fi
[[ "$DATABASE_URL" == postgres* ]] || { echo "serve: DATABASE_URL must be PostgreSQL in production" >&2; exit 2; }
[[ "$REDIS_URL" == redis* ]] || { echo "serve: REDIS_URL must be Redis in production" >&2; exit 2; }

VAR_DIR="${VAR_DIR:-var}"
mkdir -p "$VAR_DIR"

release() {
  "$PY" manage.py migrate --noinput
  "$PY" manage.py collectstatic --noinput --verbosity 0
}

web() {
  exec "$PY" -m gunicorn config.wsgi:application -c config/gunicorn.conf.py
}

worker() {
  exec "$PY" -m celery -A config worker --loglevel "${CELERY_LOGLEVEL:-INFO}" \
    --concurrency "${CELERY_CONCURRENCY:-2}" --without-gossip --without-mingle
}

beat() {
  exec "$PY" -m celery -A config beat --loglevel "${CELERY_LOGLEVEL:-INFO}" \
    --schedule "$VAR_DIR/celerybeat-schedule"
}

case "$ROLE" in
  release) release ;;
  web) web ;;
  worker) worker ;;
  beat) beat ;;
  all)
    release
    # One process group: a signal to this script stops the web server, the worker and the beat together.
    trap 'trap - INT TERM EXIT; kill -TERM $(jobs -p) 2>/dev/null; wait' INT TERM EXIT
    (web) &
    (worker) &
    (beat) &
    echo "serve: web on ${BIND:-0.0.0.0:${PORT:-8000}}, one Celery worker, one beat (Ctrl-C stops all)"
    # If any of the three stops, stop the others: a half-running stack is worse than none.
    wait -n
    ;;
  *) echo "usage: $0 [all|web|worker|beat|release]" >&2; exit 2 ;;
esac
