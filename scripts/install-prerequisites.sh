#!/usr/bin/env bash
# Installs the Debian packages dnsparity needs, without starting any service:
# a packaged unbound started on the host would recurse from the real root
# servers, which dnsparity never allows. gcc, libc6-dev and musl-tools build
# the stub-lookup helpers (scripts/build-native.sh) against glibc and musl.
# dnsmasq-base and knot-resolver are resolvers under test (resolver.kind
# dnsmasq, knot-resolver), and so are bind9 (named; named-checkconf from
# bind9-utils) and pdns-recursor; their packaged services never start on the
# host either. Idempotent; needs root.
#   --docker   also the Docker engine (docker.io) for the docker backend, its
#              service not started either (scripts/dockerd.sh starts one), and
#              mmdebstrap, which builds the example candidate images of Debian's
#              own packages offline from Debian's archive.
#   --browser  also chromium, for the test that renders report.html (headless,
#              never a downloaded browser); the demo does not need it.
set -euo pipefail

PACKAGES=(unbound nsd ldnsutils nftables iproute2 coreutils gcc libc6-dev musl-tools dnsmasq-base knot-resolver bind9 bind9-utils pdns-recursor)
for arg in "$@"; do
  case "$arg" in
    --docker) PACKAGES+=(docker.io mmdebstrap) ;;
    --browser) PACKAGES+=(chromium) ;;
    *) echo "install-prerequisites.sh: unknown option $arg (expected --docker, --browser)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "dnsparity needs these Debian packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
  exit 2
fi

# Deny service starts for the duration of the install (policy-rc.d exit 101),
# restoring whatever policy the machine had before.
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then saved=$(mktemp); cp -p "$policy" "$saved"; fi
restore() { if [ -n "$saved" ]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi; }
trap restore EXIT
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Packages may ship services enabled for the next boot; none of them must run.
for svc in unbound nsd dnsmasq kresd@1 kres-cache-gc named pdns-recursor; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
done
echo "installed: ${missing[*]}"
