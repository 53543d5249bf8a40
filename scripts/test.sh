#!/usr/bin/env bash
# The test suite from nothing: Debian packages (the Docker engine among them),
# npm dependencies, then every test (unit, integration in real namespaces and
# containers, CLI end to end). Needs root: as a normal user it runs itself
# again with sudo (scripts/root.sh). Starts dockerd when no engine
# answers, and stops the one it started at the end.
#
# A skipped test fails the run: everything a test needs is installed here, so
# a skip means a test that proved nothing. The skipped tests are listed with
# the reasons the suite printed for them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/root.sh
need_node
need_root "$0" "$@"
bash scripts/install-prerequisites.sh --docker --browser
npm_ci_as_owner
work=$(mktemp -d -t dnsparity-test.XXXXXX)

# The not-root case of the bad-input tests runs the CLI as an unprivileged
# user, from a copy of the build that user can read (the checkout itself may
# sit in a private directory). The user is made here and removed at the end.
unprivileged=dnsparity-unprivileged
made_user=0
if ! id -u "$unprivileged" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$unprivileged"
  made_user=1
fi
export DNSPARITY_TEST_USER=$unprivileged

cleanup() {
  bash scripts/dockerd.sh stop "$work/dockerd"
  rm -rf "$work"
  if [ "$made_user" = 1 ]; then userdel "$unprivileged" 2>/dev/null || true; fi
}
trap cleanup EXIT
bash scripts/dockerd.sh start "$work/dockerd"
# What a run that died before this one (a killed CI job, a machine that stopped) left behind is
# removed first: only dead runs' state, never a live run's. The tests then start from a clean slate.
node dist/harness/cli/main.js cleanup || true
results="$work/results.json"
log="$work/test.log"
status=0
npm test -- --reporter=default --reporter=json --outputFile.json="$results" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
if [ ! -s "$results" ]; then
  echo "test.sh: no test results (the build or the test run failed before any test)" >&2
  exit $(( status == 0 ? 1 : status ))
fi
# One plain closing line with the counts; then each skipped test and the
# reasons printed for skips, and a failure when there is any.
skipped=$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.error(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  const cwd = process.cwd() + "/";
  for (const f of r.testResults)
    for (const a of f.assertionResults)
      if (a.status !== "passed" && a.status !== "failed") console.error(`skipped: ${f.name.replace(cwd, "")} > ${a.fullName}`);
  console.log(skipped);
' "$results") || skipped=unknown
if [ "$skipped" != 0 ]; then
  grep -o 'SKIPPED .*' "$log" | sort -u | sed 's/^/why: /' >&2 || true
  echo "test.sh: $skipped test(s) skipped; every test must run here" >&2
  [ "$status" != 0 ] || status=1
fi
exit $status
