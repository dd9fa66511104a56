#!/usr/bin/env bash
# Builds the local test images that need no registry (none is reachable in CI):
#   pando/busybox:latest   FROM scratch + Debian's static busybox (sh, sleep, httpd, nc, wget...)
# Skips an image that already exists. Needs a running engine (scripts/docker-engine.sh).
set -euo pipefail

say() { printf '[build-test-images] %s\n' "$*" >&2; }

BUSYBOX_IMAGE=pando/busybox:latest

if ! docker info >/dev/null 2>&1; then
  say "the Docker engine does not answer: run scripts/docker-engine.sh first"
  exit 1
fi

if docker image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1; then
  exit 0
fi

# Debian's `busybox` package is dynamically linked; only busybox-static runs inside FROM scratch.
if ! dpkg -s busybox-static >/dev/null 2>&1; then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    say "busybox-static is missing and cannot be installed here (needs root and apt-get)"
    exit 1
  fi
  say "installing busybox-static"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends busybox-static >/dev/null
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp /bin/busybox "$context/busybox"
cat >"$context/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/bin
EOF

say "building $BUSYBOX_IMAGE"
# The legacy builder needs no buildx plugin, which Debian's docker.io does not ship.
# Its deprecation banner goes to stderr on every build, so stderr is only shown on failure.
if ! DOCKER_BUILDKIT=0 docker build -q -t "$BUSYBOX_IMAGE" "$context" >"$context/build.log" 2>&1; then
  say "building $BUSYBOX_IMAGE failed:"
  cat "$context/build.log" >&2
  exit 1
fi
say "built $BUSYBOX_IMAGE"
