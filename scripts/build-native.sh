#!/usr/bin/env bash
# Builds the stub-lookup helpers (harness/probe/native/stub-lookup.c) into
# dist/native/: against this machine's glibc (dynamic, and static so it runs
# chrooted into an image's files) and against musl (static, musl-gcc); and
# the resolver layer's UDP pump (harness/probe/native/udp-pump.c, static, so
# it runs in any container the worker runs in; without it the worker sends
# through Node's dgram); and the docker backend's readiness and isolation
# check (harness/probe/native/dns-check.c, static; without it the worker's
# own ready check runs instead). Runs
# from "npm run build" and "npm ci"; a missing compiler skips its helpers
# with one line naming the Debian package, and never fails the build.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/dist/native"
mkdir -p "$out"
CFLAGS=(-O2 -Wall -Wextra -std=c11)
built=()
hints=()

# Each helper is written to a temporary name and moved into place, so a
# failed or interrupted build never leaves a half-written binary.
build() { # name compiler args...
  local name=$1 cc=$2
  shift 2
  local src=${SRC:-$root/harness/probe/native/stub-lookup.c}
  local log
  log=$("$cc" "${CFLAGS[@]}" -o "$out/.$name.tmp" "$src" "$@" 2>&1)
  local rc=$?
  # The static link's warning that getaddrinfo needs glibc's shared NSS
  # modules is true only for modules other than "files" and "dns", which
  # are built into libc since glibc 2.34: dropped, every other line kept.
  printf '%s\n' "$log" | grep -v -e "statically linked applications requires at runtime" -e "in function .getaddrinfo\|: in function" -e '^$' >&2
  if [ $rc -eq 0 ]; then
    mv -f "$out/.$name.tmp" "$out/$name"
    built+=("$name")
  else
    rm -f "$out/.$name.tmp"
    echo "build-native: $name failed to build" >&2
  fi
}

if command -v gcc >/dev/null 2>&1 && [ -e /usr/include/resolv.h ]; then
  build stub-lookup-glibc gcc -lresolv
  build stub-lookup-glibc-static gcc -static -lresolv
  SRC="$root/harness/probe/native/udp-pump.c" build udp-pump gcc -static
  SRC="$root/harness/probe/native/dns-check.c" build dns-check gcc -static
else
  hints+=("gcc libc6-dev")
fi
if command -v musl-gcc >/dev/null 2>&1; then
  build stub-lookup-musl musl-gcc -static
else
  hints+=("musl-tools")
fi
[ ${#hints[@]} -eq 0 ] || echo "build-native: to build the native stub-lookup helpers, install the Debian packages: ${hints[*]} (apt-get install ${hints[*]})" >&2
exit 0
