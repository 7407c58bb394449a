#!/usr/bin/env bash
# Installs what the test suite needs beyond Go, if it is missing:
# Debian's chromium (browser tests) and skopeo (reads the container image as
# a registry client would), and axe-core from npm (accessibility). Safe to
# re-run; does nothing when all are present.
set -euo pipefail
cd "$(dirname "$0")/.."

have_chromium() {
  [ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null 2>&1
}

missing=()
have_chromium || missing+=(chromium fonts-liberation)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-deps: missing; install with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "test-deps: installing ${missing[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/axe-core/axe.min.js ]; then
  echo "test-deps: installing axe-core from npm (package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi
