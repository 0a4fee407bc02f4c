#!/usr/bin/env bash
# The two-node test (tests/deploy/test_two_nodes.py) puts Debian's haproxy in front of two web nodes; install it
# when missing and we are root.
set -euo pipefail
if command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing haproxy for the two-node test (apt-get install haproxy)..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null 2>&1 || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  }
  # the package's own service is not wanted: the test runs its own haproxy on loopback
  (service haproxy stop || true) >/dev/null 2>&1
  exit 0
fi
echo "haproxy is missing and this user cannot install it (Debian: 'sudo apt-get install haproxy');"
echo "until then the two-node test is skipped locally and fails in CI."
