#!/usr/bin/env bash
# The one command that runs all the tests (`npm test`): installs what is missing, builds,
# type-checks, then runs the unit specs and the end-to-end suites against real processes
# (a real nats-server, master and agent processes, a real Docker engine: installed and started
# here when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
PANDO_NEEDS_DOCKER=1 bash scripts/ensure-deps.sh
echo "== build"; bash scripts/build.sh
echo "== typecheck"; npx --no-install tsc -p tsconfig.json --noEmit
echo "== tests"
report="$(mktemp)"
status=0
npx --no-install jest --ci --json --outputFile="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report" || true
rm -f "$report"
exit $status
