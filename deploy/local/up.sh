#!/usr/bin/env bash
# `make up`: Postgres + NATS, the sandbox with its demo data, and every service binary that
# exists, each as its own process with logs under target/up/. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/stack.sh
cargo build --release --bins --quiet
bin=${CARGO_TARGET_DIR:-target}/release
logs=target/up
mkdir -p "$logs"

export DATABASE_URL=${DATABASE_URL_UP:-postgres://postgres@127.0.0.1:5432/payops}
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
export LOG_FORMAT=${LOG_FORMAT:-json}

pids=()
stop() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait; }
trap stop EXIT INT TERM

start() { # name, then env assignments
  local name=$1; shift
  env "$@" "$bin/$name" >"$logs/$name.log" 2>&1 &
  pids+=($!)
}

start payops-sandbox SANDBOX_BASE_PORT=7000
start payops-echo GRPC_ADDR=127.0.0.1:50050 ADMIN_ADDR=127.0.0.1:9050

sleep 1
cat <<TXT

payops is up (logs in $logs/):
  sandbox admin      http://127.0.0.1:7000   (systems on 7001..7008: see $logs/payops-sandbox.log)
  echo skeleton      grpc 127.0.0.1:50050    metrics http://127.0.0.1:9050/metrics
Ctrl-C stops everything.
TXT
wait
