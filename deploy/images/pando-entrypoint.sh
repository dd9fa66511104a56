#!/bin/sh
# `pando <role> [options]`: the Pando image's entry point. One image runs every process; the role
# picks it, the options (flags, or the PANDO_* environment variables) go to that process as is.
# `docker run pando/pando:latest master --help` lists a role's options.
set -eu

APP_DIR=${PANDO_APP_DIR:-/app}

usage() {
  cat <<'USAGE'
usage: pando <role> [options]

roles:
  master           the master: agent registry, allocator, offers, HTTP API and UI (port 5050)
  agent            an agent: runs tasks through executors (port 5051); needs the Docker socket for
                   --executors docker
  framework-host   the framework plugins (PANDO_PLUGINS=marathon,chronos; ports 8080 and 4400)
  cli              operator commands (pando cli <command>)

Options come after the role, or as environment variables; `pando <role> --help` lists them.
USAGE
}

# Options, PANDO_LOG_LEVEL included, are checked by the processes themselves: a bad value stops
# the process with exit status 1 and a message naming the variable.
role=${1:-}
case "$role" in
  master | agent | framework-host | cli)
    shift
    exec node "$APP_DIR/dist/apps/$role/src/main.js" "$@"
    ;;
  help | -h | --help)
    usage
    ;;
  '')
    usage >&2
    exit 64
    ;;
  *)
    echo "pando: unknown role '$role' (expected master, agent, framework-host or cli)" >&2
    exit 64
    ;;
esac
