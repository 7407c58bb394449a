#!/usr/bin/env bash
# Runs every Go fuzz target for a bounded time and fails on the first crash
# (go test writes the failing input under the package's testdata/fuzz/, where
# it then runs as a seed in every plain "go test").
#
#   FUZZTIME=30s scripts/fuzz.sh       # default 10s per target
#
# -fuzz takes one target per package per run, so each target gets its own
# "go test". The list is explicit; the script also fails if a Fuzz function
# in the tree is missing from it.
set -euo pipefail
cd "$(dirname "$0")/.."

GO="${GO:-go}"
FUZZTIME="${FUZZTIME:-10s}"

targets=(
  "./internal/signoff FuzzValidIdentifier"
  "./internal/signoff FuzzParseDecision"
  "./internal/signoff FuzzValidID"
  "./internal/signoff FuzzValidateReason"
  "./internal/signoff FuzzValidateComment"
  "./internal/signoff FuzzParseQueueKey"
  "./internal/signoff FuzzSearch"
  "./internal/signoff FuzzOneEditApart"
  "./internal/server FuzzParseAuditFilter"
  "./internal/server FuzzSessionCookie"
  "./internal/server FuzzSafeNext"
  "./internal/server FuzzFormDecoding"
  "./internal/sqlite FuzzTamperedLedgerIsReported"
)

# Every fuzz target in the tree is listed above.
listed=$(printf '%s\n' "${targets[@]}" | awk '{print $2}' | sort)
found=$(grep -rhoE '^func (Fuzz[A-Za-z0-9_]+)\(' --include='*_test.go' internal cmd 2>/dev/null |
  sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | sort)
if [ "$listed" != "$found" ]; then
  echo "fuzz: the target list in $0 is out of date:" >&2
  diff <(echo "$listed") <(echo "$found") >&2 || true
  exit 1
fi

# The fuzzing engine can itself stop with "context deadline exceeded" when a
# worker is slow to wind down on a loaded machine (no input failed, nothing is
# written to testdata/fuzz). That is retried, up to twice; a real crash, which
# always names a failing input, is not.
run_target() {
  local pkg=$1 name=$2 out status
  for attempt in 1 2 3; do
    set +e
    out=$("$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel 1 "$pkg" 2>&1)
    status=$?
    set -e
    echo "$out" | tail -n 4
    if [ $status -eq 0 ]; then
      return 0
    fi
    # Retry only the engine's own timeout, never a failing input.
    if echo "$out" | grep -q 'Failing input written to' || ! echo "$out" | grep -q 'context deadline exceeded'; then
      echo "$out" >&2
      return 1
    fi
    echo "fuzz: $name: the engine timed out winding down (attempt $attempt, no failing input); again"
  done
  echo "fuzz: $name: the engine kept timing out" >&2
  return 1
}

for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "fuzz: $name ($pkg) for $FUZZTIME"
  run_target "$pkg" "$name"
done
echo "fuzz: ${#targets[@]} targets, no crash"
