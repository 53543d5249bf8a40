#!/usr/bin/env bash
# Builds the docker backend's images offline, from this machine's binaries
# (no registry, no base image): host (unbound + getent) and helper (node,
# ip, nft, nsd, unbound). With "candidate TAG CONFIG RESOLV_CONF", builds an
# example candidate server image from the host image with that config baked in:
#   bash containers/build.sh candidate dnsparity-example/candidate:incident \
#        fixtures/images/incident/unbound.conf fixtures/stub/resolv.conf
# With "candidate-musl TAG CONFIG RESOLV_CONF", the same FROM scratch with
# musl's stub resolver: the static musl stub-lookup helper as its getent.
# With "candidate-debian KIND TAG CONFIG_DIR RESOLV_CONF", an example candidate of
# Debian's own packages (dnsmasq, knot-resolver): mmdebstrap's Debian image of that
# resolver with the config tree (standing for its config directory) baked in.
# dnsparity run builds the harness images by itself when they are missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$root/dist/harness/backend/docker/build-images.js" ] || (cd "$root" && npm run build >/dev/null)
exec node "$root/dist/harness/backend/docker/build-images.js" "$@"
