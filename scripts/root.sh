# Sourced by demo.sh and test.sh: both need root (network namespaces, nftables,
# Debian packages). As root, nothing happens. As a normal user, the script
# runs itself again through sudo, keeping PATH (so the same node is used);
# where sudo is not installed (a minimal Debian has none), it says how to run
# it as root instead. Also: the Node.js check, and npm ci as the checkout's
# owner, so a sudo run leaves no root-owned node_modules behind.
#   usage: source scripts/root.sh; need_root "$0" "$@"

need_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "dnsparity needs Node.js 20.18 or newer (node is not on PATH); Debian 12's own nodejs package is 18, too old: install Node.js 20 first" >&2
    exit 2
  fi
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=18)?0:1)'; then
    echo "dnsparity needs Node.js 20.18 or newer; this is $(node --version): install Node.js 20 first" >&2
    exit 2
  fi
}

need_root() {
  local script=$1
  shift
  [ "$(id -u)" -eq 0 ] && return 0
  if command -v sudo >/dev/null 2>&1; then
    echo "$(basename "$script") needs root (network namespaces, packages): running it again with sudo" >&2
    exec sudo env "PATH=$PATH" bash "$script" "$@"
  fi
  echo "$(basename "$script") needs root (network namespaces, packages) and sudo is not installed: run it as root, for example: su -c 'bash $script'" >&2
  exit 2
}

# npm ci, as the user who owns the checkout when that is not root (the sudo case).
npm_ci_as_owner() {
  local owner
  owner=$(stat -c %U .)
  if [ "$(id -u)" -eq 0 ] && [ "$owner" != root ] && command -v runuser >/dev/null 2>&1; then
    runuser -u "$owner" -- env "PATH=$PATH" npm ci --no-audit --no-fund
  else
    npm ci --no-audit --no-fund
  fi
}
