#!/usr/bin/env bash
# The test suite from nothing: Debian packages (the Docker engine among them),
# npm dependencies, then every test (unit, integration in real namespaces and
# containers, CLI end to end). Needs root. Starts dockerd when no engine
# answers, and stops the one it started at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prerequisites.sh --docker
npm ci --no-audit --no-fund
work=$(mktemp -d -t dnsparity-test.XXXXXX)
trap 'bash scripts/dockerd.sh stop "$work/dockerd"; rm -rf "$work"' EXIT
bash scripts/dockerd.sh start "$work/dockerd"
results="$work/results.json"
status=0
npm test -- --reporter=default --reporter=json --outputFile.json="$results" || status=$?
# One plain closing line with the counts, skipped tests included.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$results" || true
exit $status
