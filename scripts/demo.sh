#!/usr/bin/env bash
# The main job on the default backend: installs what it needs (the demo's
# Debian packages only: no browser, no Docker engine), then runs every shipped
# scenario and prints the readable report. Exit code as dnsparity run's (the
# shipped set includes scenarios that are meant to fail: the incident).
# Works as root, and as a normal user with sudo (it runs itself again with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/root.sh
need_node
need_root "$0" "$@"
bash scripts/install-prerequisites.sh
[ -x node_modules/.bin/dnsparity ] || npm_ci_as_owner
exec node_modules/.bin/dnsparity run scenarios "$@"
