#!/usr/bin/env bash
# Builds every app, lib, plugin, benchmark and example into dist/ (swc: TypeScript -> CommonJS, with the
# @pando/* aliases rewritten to relative paths so that plain `node` runs the output).
# Type checking is separate (`npm run typecheck`) because swc does not check types.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
dirs=()
for d in apps libs plugins bench test examples; do [ -d "$d" ] && dirs+=("$d"); done
npx --no-install swc "${dirs[@]}" -d dist --config-file .swcrc --ignore '**/*.spec.ts' --ignore '**/*.e2e-spec.ts' --copy-files --quiet
