#!/usr/bin/env bash
# Builds, without any image registry (none is reachable here), the base images the Pando image and
# the compose deployment use. Each is skipped when it already exists (the cache between runs);
# PANDO_REBUILD_BASE_IMAGES=1 rebuilds them.
#
#   pando/node-base:20   Debian bookworm (debootstrap --variant=minbase) + this machine's own Node
#                        (>= 20.19: Debian's nodejs is 18, too old for NestJS 12) and npm, and this
#                        machine's CA bundle (so that `npm ci` inside a build trusts what the
#                        machine trusts). The Dockerfile's build and runtime stages use it:
#                        docker build --build-arg NODE_IMAGE=pando/node-base:20 ...
#   pando/nats:2.9       FROM scratch: Debian's nats-server with the glibc files ldd lists for it,
#                        and the static busybox for the health check (wget of /healthz).
#
# Needs root (debootstrap, chroot), apt-get for what is missing (debootstrap, nats-server,
# busybox-static), a Debian mirror (taken from /etc/apt/sources.list*, or PANDO_DEBIAN_MIRROR) and a
# running engine (scripts/docker-engine.sh is called).
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_BASE_IMAGE=${PANDO_NODE_BASE_IMAGE:-pando/node-base:20}
NATS_IMAGE=${PANDO_NATS_BASE_IMAGE:-pando/nats:2.9}
SUITE=bookworm
MIN_NODE=20.19.0

say() { printf '[build-base-images] %s\n' "$*" >&2; }
CLEANUP=()
trap 'rm -rf "${CLEANUP[@]}"' EXIT
die() { say "$*"; exit 1; }
have_image() { [ "${PANDO_REBUILD_BASE_IMAGES:-0}" != "1" ] && docker image inspect "$1" >/dev/null 2>&1; }

apt_install() { # apt_install <package>...: installs the Debian packages that are not installed yet
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    die "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})"
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The legacy builder needs no buildx plugin (Debian's docker.io has none); its deprecation banner
# goes to stderr on every build, so the log is only shown on failure.
build_image() { # build_image <tag> <context>
  local log="$2/.build.log"
  if ! DOCKER_BUILDKIT=0 docker build -q -t "$1" "$2" >"$log" 2>&1; then
    cat "$log" >&2
    die "building $1 failed"
  fi
}

# First Debian mirror of the main archive in the apt sources (one-line or deb822 format).
debian_mirror() {
  if [ -n "${PANDO_DEBIAN_MIRROR:-}" ]; then echo "$PANDO_DEBIAN_MIRROR"; return; fi
  local files=() url
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && files+=("$f"); done
  url=$({ grep -hE '^\s*deb\s' "${files[@]}" 2>/dev/null | awk '{for (i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; break}}'
          grep -hE '^\s*URIs:' "${files[@]}" 2>/dev/null | awk '{print $2}'; } |
        grep -E '/debian/?$' | grep -v -- '-security' | head -n1 || true)
  echo "${url:-http://deb.debian.org/debian}"
}

version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

build_node_base() {
  have_image "$NODE_BASE_IMAGE" && { say "$NODE_BASE_IMAGE exists (cached)"; return; }
  [ "$(id -u)" = "0" ] || die "building $NODE_BASE_IMAGE needs root (debootstrap and chroot)"
  local node_bin npm_dir node_version mirror rootfs started
  node_bin=$(readlink -f "$(command -v node 2>/dev/null || true)" 2>/dev/null || true)
  [ -x "$node_bin" ] || die "no node on this machine to put in $NODE_BASE_IMAGE (Node >= $MIN_NODE is needed)"
  node_version=$("$node_bin" -p 'process.versions.node')
  version_at_least "$node_version" "$MIN_NODE" || die "this machine's node is $node_version; Node >= $MIN_NODE is needed (NestJS 12)"
  # npm is JavaScript: its package directory is what `npm` links to (e.g. /usr/lib/node_modules/npm).
  npm_dir=$(readlink -f "$(command -v npm 2>/dev/null || true)" 2>/dev/null | sed -n 's#\(.*/node_modules/npm\)/.*#\1#p')
  [ -n "$npm_dir" ] && [ -f "$npm_dir/package.json" ] || die "npm's package directory was not found (the build stage needs npm)"
  apt_install debootstrap
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d /var/tmp/pando-node-base.XXXXXX)
  CLEANUP+=("$rootfs" "$rootfs.debootstrap.log")
  started=$SECONDS
  say "debootstrap --variant=minbase $SUITE from $mirror"
  if ! debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$rootfs.debootstrap.log" 2>&1; then
    tail -n 30 "$rootfs.debootstrap.log" >&2
    die "debootstrap failed (set PANDO_DEBIAN_MIRROR to a reachable Debian mirror)"
  fi
  install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # The machine's CA bundle, so that npm (and tasks) inside trust the same authorities as the host.
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$rootfs/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  fi
  # The minbase has every library node links against (libc, libstdc++, libgcc_s): prove it.
  chroot "$rootfs" /usr/local/bin/node -e 'require("node:crypto").randomUUID()' ||
    die "the copied node does not run inside the $SUITE minbase (missing libraries? ldd $node_bin)"
  chroot "$rootfs" /usr/local/bin/node /usr/local/bin/npm --version >/dev/null || die "the copied npm does not run inside the minbase"
  # What an image never needs: docs, man pages, locales, apt's lists and caches, debootstrap's leftovers.
  rm -rf "$rootfs"/usr/share/{doc,man,info,locale,lintian,linda}/* "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
         "$rootfs"/var/log/* "$rootfs"/debootstrap "$rootfs"/usr/local/lib/node_modules/npm/{docs,man}
  say "importing $NODE_BASE_IMAGE (node $node_version, npm $(node "$npm_dir/bin/npm-cli.js" --version 2>/dev/null))"
  tar --numeric-owner -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["node"]' \
    -m "debootstrap minbase $SUITE + node $node_version" - "$NODE_BASE_IMAGE" >/dev/null
  say "built $NODE_BASE_IMAGE in $((SECONDS - started)) s"
}

# Copies a binary's shared libraries (as ldd lists them, at the same paths) under <root>.
copy_libraries() { # copy_libraries <binary> <root>
  local lib
  for lib in $(ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "$2$(dirname "$lib")"
    cp -L "$lib" "$2$lib"
  done
}

build_nats() {
  have_image "$NATS_IMAGE" && { say "$NATS_IMAGE exists (cached)"; return; }
  apt_install nats-server busybox-static
  local nats_bin context
  nats_bin=$(command -v nats-server 2>/dev/null || echo /usr/sbin/nats-server)
  [ -x "$nats_bin" ] || die "nats-server is not installed"
  context=$(mktemp -d)
  CLEANUP+=("$context")
  mkdir -p "$context/rootfs/data" "$context/rootfs/bin" "$context/rootfs/etc"
  cp "$nats_bin" "$context/rootfs/nats-server"
  # Debian links its nats-server against glibc (it is not a static Go binary): the few libraries
  # ldd lists (libc, the loader) go in beside it. busybox-static needs none.
  copy_libraries "$nats_bin" "$context/rootfs"
  cp /bin/busybox "$context/rootfs/bin/busybox"
  # Name resolution (cluster routes by service name): Docker adds /etc/hosts and /etc/resolv.conf.
  printf 'hosts: files dns\n' >"$context/rootfs/etc/nsswitch.conf"
  printf 'root:x:0:0:root:/:/sbin/nologin\nnats:x:10001:10001:nats:/data:/sbin/nologin\n' >"$context/rootfs/etc/passwd"
  printf 'root:x:0:\nnats:x:10001:\n' >"$context/rootfs/etc/group"
  cat >"$context/Dockerfile" <<'EOF'
FROM scratch
# nats-server with its libraries, and the static busybox only for the health check (no shell is
# installed: /bin/busybox <applet> is called directly). /data is JetStream's store; a named volume
# mounted there starts with its owner.
COPY --chown=10001:10001 rootfs/ /
USER 10001:10001
EXPOSE 4222 6222 8222
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/bin/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8222/healthz"]
ENTRYPOINT ["/nats-server"]
CMD ["-js", "-sd", "/data", "-m", "8222"]
EOF
  say "building $NATS_IMAGE ($("$nats_bin" --version 2>&1 | head -n1))"
  build_image "$NATS_IMAGE" "$context"
  docker run --rm "$NATS_IMAGE" --version >/dev/null || die "$NATS_IMAGE does not run"
  say "built $NATS_IMAGE"
}

if ! docker info >/dev/null 2>&1; then bash scripts/docker-engine.sh; fi
build_nats
build_node_base
