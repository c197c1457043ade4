#!/usr/bin/env bash
# Runs buf (npm package @bufbuild/buf), installing it into the tools cache on first use.
set -euo pipefail
tools=${PAYOPS_TOOLS:-$HOME/.cache/payops/tools}
buf="$tools/node_modules/.bin/buf"
if [ ! -x "$buf" ]; then
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" @bufbuild/buf@1 >/dev/null 2>&1 \
    || npm install --no-audit --no-fund --prefix "$tools" @bufbuild/buf@1
fi
exec "$buf" "$@"
