#!/usr/bin/env bash
# Installs what the test suite needs beyond Go, if it is missing:
# Debian's chromium (browser tests) and axe-core from npm (accessibility).
# Safe to re-run; does nothing when both are present.
set -euo pipefail
cd "$(dirname "$0")/.."

have_chromium() {
  [ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null 2>&1
}

if ! have_chromium; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-deps: chromium is missing; install it with: sudo apt-get install chromium fonts-liberation" >&2
    exit 1
  fi
  echo "test-deps: installing chromium from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi

if [ ! -f node_modules/axe-core/axe.min.js ]; then
  echo "test-deps: installing axe-core from npm (package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi
