#!/usr/bin/env bash
# hotline-api bench (docs/benchmarks.md target 2, "read RPC"): TimelineService.GetOrderTimeline on
# 10 000 orders × 10 events, 100 concurrent streams (closed loop) and 70 % of that rate (open
# loop, p99), with the gRPC echo ceiling measured in the same run. Appends one JSON line to $1.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: service-hotline-api.sh <results.jsonl>}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
export RUST_LOG=${RUST_LOG:-error}
line=$(cargo bench --quiet -p hotline-api --bench timeline -- "${HL_BENCH_SECONDS:-8}" "${HL_BENCH_CONCURRENCY:-100}" | grep '"name":"hotline-api"' | tail -n1)
if [ -z "$line" ]; then
  echo "hotline-api bench produced no result" >&2
  exit 1
fi
echo "$line" >>"$out"
echo "bench: $line" >&2
