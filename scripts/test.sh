#!/usr/bin/env bash
# The test suite from nothing: Debian packages, npm dependencies, then every
# test (unit, integration in real namespaces, CLI end to end). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prerequisites.sh
npm ci --no-audit --no-fund
results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
npm test -- --reporter=default --reporter=json --outputFile.json="$results" || status=$?
# One plain closing line with the counts, skipped tests included.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$results" || true
exit $status
