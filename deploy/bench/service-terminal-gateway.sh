#!/usr/bin/env bash
# terminal-gateway bench: 500 terminals paying concurrently against the Nets sandbox in
# auto-approve mode; appends one JSON line (payments/s, approval → watcher p50/p99, gateway
# peak RSS) to the file named by $1.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: service-terminal-gateway.sh <results.jsonl>}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
line=$(RUST_LOG=error cargo bench --quiet -p terminal-gateway --bench payments -- "${TG_BENCH_TERMINALS:-500}" "${TG_BENCH_SECONDS:-20}" | grep '^{"' | tail -n1)
[ -n "$line" ] || { echo "terminal-gateway bench printed no result" >&2; exit 1; }
echo "$line" >>"$out"
echo "bench: $line" >&2
