#!/usr/bin/env bash
# `npm start`: the all-in-one dev cluster. Installs what is missing, builds when the sources are
# newer than the build, then runs `pando dev` (nats-server when none answers, a master, an agent),
# the same code as production. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
if [ ! -f dist/apps/cli/src/main.js ] || [ -n "$(find apps libs plugins -name '*.ts' -newer dist/apps/cli/src/main.js -print -quit)" ]; then
  echo "[dev] building" >&2
  bash scripts/build.sh
fi
exec node dist/apps/cli/src/main.js dev "$@"
