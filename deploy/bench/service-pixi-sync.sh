#!/usr/bin/env bash
# pixi-sync bench: 10 000 orders through release → invoice capture → partial return against
# the in-process sandbox (zero latency), default polling. Appends one JSON line to $1.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: service-pixi-sync.sh <jsonl file>}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
export RUST_LOG=${RUST_LOG:-warn}
line=$(cargo bench --quiet -p pixi-sync --bench sync -- "${PIXI_SYNC_BENCH_ORDERS:-10000}" | tail -n1)
echo "$line" >>"$out"
echo "bench: $line" >&2
