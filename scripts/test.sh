#!/usr/bin/env bash
# The test suite from nothing: Debian packages, npm dependencies, then every
# test (unit, integration in real namespaces, CLI end to end). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prerequisites.sh
npm ci --no-audit --no-fund
npm test
