#!/usr/bin/env bash
# `make bench`: measures the ceilings of docs/benchmarks.md on this box, then the
# platform's benchmarks, all in one run, and writes target/bench-report.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${CARGO_TARGET_DIR:-target}
mkdir -p "$out/bench"
raw="$out/bench/raw.jsonl"
: >"$raw"
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
PG="-h 127.0.0.1 -p 5432 -U postgres"

# Everything is built first, so a step's CPU figures are the step's, not the compiler's.
cargo build --release --quiet -p bench
services=("hotline-api timeline" "invoice-checks approve" "pixi-sync sync" "terminal-gateway payments" "ticketing-bridge ticketing")
for pb in "${services[@]}"; do
  set -- $pb
  cargo bench --no-run --quiet -p "$1" --bench "$2" 2>/dev/null
done
bench="$out/release/payops-bench"
emit() { echo "$1" >>"$raw"; echo "bench: $1" >&2; }
# `usage STEP -- CMD…`: runs CMD and records its CPU seconds and peak RSS, and Postgres's and
# NATS's CPU seconds meanwhile (one "usage" line per step in the report).
usage() { python3 deploy/bench/usage.py "$raw" "$@"; }

# B_fsync: fdatasync/s of the disk Postgres writes to.
if [ -x "$pgbin/pg_test_fsync" ]; then
  f=$("$pgbin/pg_test_fsync" -s 2 -f "$out/bench/fsync.tmp" 2>/dev/null | awk '/fdatasync/ && /ops\/sec/ && !done {for (i = 2; i <= NF; i++) if ($i == "ops/sec") {print $(i-1); done=1; break}}')
  rm -f "$out/bench/fsync.tmp"
  emit "{\"name\":\"B_fsync\",\"per_sec\":${f:-0}}"
fi

# B_pg and B_pgN: single-row INSERT commits/s and rows/s at 100 rows per transaction, 8 clients.
psql $PG -qc "DROP DATABASE IF EXISTS payops_bench" postgres
psql $PG -qc "CREATE DATABASE payops_bench" postgres
psql $PG -qc "CREATE TABLE t (id bigserial PRIMARY KEY, v int, note text)" payops_bench
echo "INSERT INTO t (v, note) VALUES (1, 'x');" >"$out/bench/insert1.sql"
{ echo "BEGIN;"; for _ in $(seq 100); do echo "INSERT INTO t (v, note) VALUES (1, 'x');"; done; echo "COMMIT;"; } >"$out/bench/insert100.sql"
tps() { pgbench $PG -n -c 8 -j 2 -T "$2" -f "$1" payops_bench 2>/dev/null | awk '/^tps/ && !done {print $3; done=1}'; }
emit "{\"name\":\"B_pg\",\"per_sec\":$(tps "$out/bench/insert1.sql" 10),\"clients\":8}"
emit "{\"name\":\"B_pgN\",\"per_sec\":$(awk "BEGIN {print $(tps "$out/bench/insert100.sql" 10) * 100}"),\"clients\":8}"

# B_pg_tx: the pipeline's write transaction (a state change and its outbox row, in the kit's
# outbox table with its one partial index) at the same 8 clients: what Postgres alone allows
# target 1's writers on this box.
psql $PG -qc "CREATE TABLE changes (id bigserial PRIMARY KEY, order_id text NOT NULL)" payops_bench
sed -n '/^CREATE TABLE outbox/,/^CREATE INDEX outbox_unsent/p' crates/kit/migrations/0001_kit_outbox.sql | psql $PG -q payops_bench
cat >"$out/bench/write_tx.sql" <<'SQL'
BEGIN;
INSERT INTO changes (order_id) VALUES ('w1o1');
INSERT INTO outbox (id, subject, order_id, event_type, envelope, headers) VALUES (gen_random_uuid(), 'payops.events.bench.w1o1.attention', 'w1o1', 'attention', '\x0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}');
COMMIT;
SQL
emit "{\"name\":\"B_pg_tx\",\"per_sec\":$(tps "$out/bench/write_tx.sql" 10),\"clients\":8}"
psql $PG -qc "DROP DATABASE payops_bench" postgres

# JetStream, consumer and gRPC ceilings, then the platform.
for b in "js 5" "js-rtt 3" "cons" "echo 8" "pipeline" "backlog"; do
  # The JSON result is the last line; logs stay out of it (a refused delivery logs a warning).
  line=$(RUST_LOG=${RUST_LOG:-error} usage "${b%% *}" -- $bench $b | tail -n1)
  emit "$line"
done

# Service benches append their own JSON lines to the same file when they exist.
# A bench that fails is recorded as failed (with its last error lines) instead of ending the run.
for s in deploy/bench/service-*.sh; do
  [ -e "$s" ] || continue
  svc=$(basename "$s" .sh); svc=${svc#service-}
  if ! usage "$svc" -- bash "$s" "$raw" 2>"$out/bench/$svc.err"; then
    why=$(tail -n 3 "$out/bench/$svc.err" | tr '\n"\\' "  /" | cut -c1-300)
    emit "{\"name\":\"$svc\",\"failed\":true,\"why\":\"$why\"}"
  fi
  cat "$out/bench/$svc.err" >&2
done

python3 deploy/bench/report.py "$raw" "$out/bench-report.md" "$out/bench-report.json"
cat "$out/bench-report.md"
