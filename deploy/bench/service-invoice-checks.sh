#!/usr/bin/env bash
# invoice-checks bench (docs/benchmarks.md target 3, "write RPC"): ApprovePayment — one Postgres
# transaction per request — at 8 concurrent callers against pgbench running the same SQL at the
# same concurrency, then at a fixed 70 % of that rate for the p99. Appends one JSON line to $1.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: service-invoice-checks.sh <results.jsonl>}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
line=$(RUST_LOG=error cargo bench --quiet -p invoice-checks --bench approve -- "${IC_BENCH_SECONDS:-10}" "${IC_BENCH_CONCURRENCY:-8}" \
  | grep '"name":"invoice-checks"' | tail -n1)
echo "$line" >>"$out"
echo "bench: $line" >&2
