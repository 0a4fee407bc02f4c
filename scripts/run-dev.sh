#!/usr/bin/env bash
# Serves the app with a Celery worker (and embedded beat); one Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p var/celery/queue var/celery/processed
trap 'trap - INT TERM EXIT; kill 0 2>/dev/null; wait' INT TERM EXIT
.venv/bin/celery -A config worker -B --pool solo --loglevel INFO \
  --schedule var/celerybeat-schedule &
"$PY" manage.py runserver 127.0.0.1:${PORT:-8000} &
echo "Serving on http://127.0.0.1:${PORT:-8000}  (Ctrl-C stops the web server, worker and beat)"
wait -n
