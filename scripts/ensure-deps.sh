#!/usr/bin/env bash
# Makes a fresh machine of the project's kind ready to build, run and test Pando, installing
# only what is missing: Debian packages (with apt-get, as root) and the npm dependencies
# (npm ci). Idempotent and quiet when everything is there. Used by `npm start`, `npm test`
# and .ci/run alike, so the three can never disagree about what the project needs.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[ensure-deps] %s\n' "$*" >&2; }

# Debian packages the project needs at run or test time, as "command:package" pairs.
DEBIAN_NEEDS=("nats-server:nats-server")
if [ "${PANDO_NEEDS_DOCKER:-0}" = "1" ]; then
  DEBIAN_NEEDS+=("docker:docker.io" "busybox:busybox-static")
fi

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

missing=()
for pair in "${DEBIAN_NEEDS[@]}"; do
  cmd="${pair%%:*}"; pkg="${pair#*:}"
  # Debian's docker.io brings dockerd; the docker CLI alone (as on this machine kind) is not enough.
  if [ "$cmd" = "docker" ]; then have dockerd || missing+=("$pkg"); continue; fi
  have "$cmd" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing system packages: ${missing[*]}"
    say "install them first (Debian/Ubuntu: sudo apt-get install ${missing[*]}; elsewhere the NATS server from https://nats.io)"
    exit 1
  fi
fi

# The Docker executor's suites need a running engine and the local test images (no registry is
# reachable, so the images are built here from Debian's busybox-static).
if [ "${PANDO_NEEDS_DOCKER:-0}" = "1" ]; then
  bash scripts/docker-engine.sh
  bash scripts/build-test-images.sh
fi

# npm dependencies: (re)install when node_modules is missing or older than the lock file.
# (The lock lists other platforms' optional binaries that this registry does not serve; see
# scripts/complete-lockfile.js, which must run after any `npm install` that changes the lock.)
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
