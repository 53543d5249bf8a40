#!/usr/bin/env bash
# The main job on the default backend: installs what it needs, then runs every
# shipped scenario and prints the readable report. Exit code as dnsparity run's
# (the shipped set includes scenarios that are meant to fail: the incident).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prerequisites.sh
[ -x node_modules/.bin/dnsparity ] || npm ci --no-audit --no-fund
exec node_modules/.bin/dnsparity run scenarios "$@"
