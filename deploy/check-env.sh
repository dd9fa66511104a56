#!/usr/bin/env bash
# Checks the compose tunables (.env, overridden by the shell's environment as compose does) before
# `docker-compose up`, naming the variable of every bad value. Compose itself rejects a bad
# published port without naming the variable ("services.master-1.ports contains an invalid
# type"); the Pando processes name their own variables (PANDO_*) when they start.
#   bash deploy/check-env.sh [env file]        exit 0: fine; 1: every problem listed on stderr
# The checks: every published port (MASTER_PORT, ..., AGENT_2_PORT) a number from 1 to 65535 and
# distinct; PUBLISH_ADDRESS an address; PANDO_LOG_LEVEL a level; PANDO_KV_REPLICAS 1 or 3;
# PANDO_PLUGINS and PANDO_AGENT_EXECUTORS not empty; the agents' port ranges disjoint.
set -euo pipefail
cd "$(dirname "$0")/.."
ENV_FILE=${1:-.env}

declare -A value
if [ -f "$ENV_FILE" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    value[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
  done <"$ENV_FILE"
fi
# get <variable> <default>: as compose's ${VAR:-default} reads it (the shell over the file; empty: the default).
get() {
  local v
  if [ -n "${!1+x}" ]; then v=${!1}; else v=${value[$1]:-}; fi
  printf '%s' "${v:-$2}"
}

problems=()
declare -A port_owner
check_port() { # check_port <variable> <default>
  local v
  v=$(get "$1" "$2")
  if ! [[ "$v" =~ ^[0-9]{1,5}$ ]] || ((10#$v < 1 || 10#$v > 65535)); then
    problems+=("$1='$v': expected a port from 1 to 65535")
  elif [ -n "${port_owner[$v]:-}" ]; then
    problems+=("$1='$v': the same host port as ${port_owner[$v]}")
  else
    port_owner[$v]=$1
  fi
}
check_port MASTER_PORT 5050
check_port MASTER_2_PORT 5060
check_port MARATHON_PORT 8080
check_port CHRONOS_PORT 4400
check_port NATS_1_PORT 4222
check_port NATS_2_PORT 4223
check_port NATS_3_PORT 4224
check_port AGENT_1_PORT 5051
check_port AGENT_2_PORT 5052

case "$(get PUBLISH_ADDRESS 0.0.0.0)" in
  *[!0-9a-fA-F.:]* | '') problems+=("PUBLISH_ADDRESS='$(get PUBLISH_ADDRESS 0.0.0.0)': expected an IP address of this host") ;;
esac
# As the processes read it (libs/common logger): any case, empty means info.
level=$(get PANDO_LOG_LEVEL info)
level=${level,,}
case "${level// /}" in
  '' | trace | debug | info | warn | error | fatal | silent) ;;
  *) problems+=("PANDO_LOG_LEVEL='$(get PANDO_LOG_LEVEL info)': expected trace, debug, info, warn, error, fatal or silent") ;;
esac
case "$(get PANDO_KV_REPLICAS 3)" in
  1 | 3) ;;
  *) problems+=("PANDO_KV_REPLICAS='$(get PANDO_KV_REPLICAS 3)': expected 1 or 3 (the NATS cluster has 3 servers)") ;;
esac
for var in PANDO_PLUGINS PANDO_AGENT_EXECUTORS; do
  [ -n "$(get "$var" x)" ] || problems+=("$var is empty")
done
# The two agents share this host's ports: their ranges must not overlap.
ranges() { sed -n 's/.*ports:\[\([0-9]*\)-\([0-9]*\)\].*/\1 \2/p' <<<"$1"; }
read -r a1 b1 <<<"$(ranges "$(get AGENT_1_RESOURCES 'ports:[31000-31499]')")" || true
read -r a2 b2 <<<"$(ranges "$(get AGENT_2_RESOURCES 'ports:[31500-31999]')")" || true
if [ -n "${a1:-}" ] && [ -n "${a2:-}" ] && [ "$a1" -le "$b2" ] && [ "$a2" -le "$b1" ]; then
  problems+=("AGENT_1_RESOURCES and AGENT_2_RESOURCES: the port ranges [$a1-$b1] and [$a2-$b2] overlap (both agents publish on this host)")
fi

# Not an error (the agents then run without the docker executor and say so), but worth a word:
# the engine would also create a directory where the socket should be.
socket=$(get DOCKER_SOCKET /var/run/docker.sock)
if [ ! -S "$socket" ]; then
  printf 'check-env: warning: DOCKER_SOCKET=%s is not a socket on this host: the agents will run without the docker executor\n' "$socket" >&2
fi

if [ ${#problems[@]} -gt 0 ]; then
  printf 'check-env: %s\n' "${problems[@]}" >&2
  exit 1
fi
