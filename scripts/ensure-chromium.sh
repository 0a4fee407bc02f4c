#!/usr/bin/env bash
# Browser tests drive Debian's Chromium; install it when missing and we are root.
set -euo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium for the browser tests (apt-get install chromium)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "Chromium is missing at $CHROMIUM and this user cannot install it."
echo "Install it (Debian: 'sudo apt-get install chromium') or set CHROMIUM_PATH;"
echo "until then the browser tests (tests/e2e) are skipped locally and fail in CI."
