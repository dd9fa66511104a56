#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, for the Docker executor and its tests.
# Idempotent: when `docker info` already answers, it does nothing. Otherwise it installs Debian's
# docker.io when dockerd is missing (apt-get, as root), starts dockerd detached from this shell
# (setsid, so it outlives the caller, e.g. a jest worker) logging to /var/log/pando-dockerd.log,
# and waits up to 30 s for the engine. Exit status 0 means `docker info` answers.
set -euo pipefail

LOG=${PANDO_DOCKERD_LOG:-/var/log/pando-dockerd.log}
WAIT_SECONDS=${PANDO_DOCKERD_WAIT_SECONDS:-30}

say() { printf '[docker-engine] %s\n' "$*" >&2; }
engine_answers() { docker info >/dev/null 2>&1; }
find_dockerd() { command -v dockerd 2>/dev/null || { [ -x /usr/sbin/dockerd ] && echo /usr/sbin/dockerd; } || true; }

if command -v docker >/dev/null 2>&1 && engine_answers; then
  exit 0
fi

dockerd_bin=$(find_dockerd)
if [ -z "$dockerd_bin" ] || ! command -v docker >/dev/null 2>&1; then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    say "dockerd is missing and cannot be installed here (needs root and apt-get): install docker.io"
    exit 1
  fi
  say "installing docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
  dockerd_bin=$(find_dockerd)
fi

if [ "$(id -u)" != "0" ]; then
  say "the Docker engine is not answering and starting dockerd needs root"
  exit 1
fi

# A previous dockerd may still be starting (another test run got here first): only start one
# when none is running, then wait for whichever it is.
if ! pgrep -x dockerd >/dev/null 2>&1; then
  say "starting dockerd (log: $LOG)"
  mkdir -p "$(dirname "$LOG")"
  setsid "$dockerd_bin" >>"$LOG" 2>&1 </dev/null &
fi

for _ in $(seq 1 $((WAIT_SECONDS * 4))); do
  if engine_answers; then
    say "engine is ready"
    exit 0
  fi
  sleep 0.25
done

say "dockerd did not answer within ${WAIT_SECONDS}s; last lines of $LOG:"
tail -n 20 "$LOG" >&2 || true
exit 1
