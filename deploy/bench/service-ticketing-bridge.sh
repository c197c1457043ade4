#!/usr/bin/env bash
# Ticketing-bridge bench (issue 7): 2,000 attention events for 500 orders against the sandbox
# Freshdesk at its plan rate; appends one JSON line to the file named by $1.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: service-ticketing-bridge.sh <jsonl file>}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
line=$(cargo bench --quiet -p ticketing-bridge --bench ticketing | grep '^{.*"name":"ticketing-bridge"' | tail -n1 || true)
if [ -z "$line" ]; then
  echo "ticketing-bridge bench produced no result" >&2
  exit 1
fi
echo "$line" >>"$out"
echo "bench: $line" >&2
