#!/usr/bin/env bash
# `make up`: Postgres + NATS (stack.sh), the sandbox with its demo data and the five services,
# each its own process with its log under target/up/, wired to each other and to the sandbox;
# then the demo seeding through the services' gRPC APIs (payops-demo seed) and the addresses.
# Ctrl-C stops everything; running it again starts over.
#
# Every start is a fresh demo world: the sandbox keeps its state in memory and comes back with
# the same demo data, so the stack's database (`payops`) and event stream are reset to match
# (payops-demo reset). KEEP_DATA=1 keeps them, to look at earlier data only: the fresh sandbox
# then disagrees with it (Freshdesk ticket numbers start again at 1, so ticketing-bridge takes
# new tickets for ones it already knows and the demo's ticket does not reach the timeline).
#
# PROFILE=debug (default) or release. Debug is the default because `make test` builds the same
# debug binaries: on a small machine a second, optimised build of the workspace would take
# longer than the whole demo; the demo's load is tiny.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/stack.sh

PROFILE=${PROFILE:-debug}
packages=(-p sandbox -p pixi-sync -p terminal-gateway -p hotline-api -p ticketing-bridge -p invoice-checks -p demo)
case $PROFILE in
  debug) flags=() ;;
  release) flags=(--release) ;;
  *) echo "PROFILE must be debug or release" >&2; exit 2 ;;
esac
echo "up: building the binaries ($PROFILE)" >&2
cargo build "${flags[@]}" "${packages[@]}" --bins --quiet
bin=${CARGO_TARGET_DIR:-target}/$PROFILE
logs=target/up
mkdir -p "$logs"

# Shared by every service: one database (a schema each), one event stream.
export DATABASE_URL=${DATABASE_URL_UP:-postgres://postgres@127.0.0.1:5432/payops}
export NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
export EVENTS_PREFIX=payops.local EVENTS_STREAM=PAYOPS_LOCAL
export LOG_FORMAT=${LOG_FORMAT:-json} RUST_LOG=${RUST_LOG:-info}
# Local demo credentials (not secrets of any real system).
admin_user=admin admin_password=payops-demo-admin manager_token=local-demo-manager-token
# gRPC credentials (SE-01): the demo tool may do everything, hotline-api may only create
# tickets at ticketing-bridge, the demo manager works on manual payments. Laptop values only.
demo_token=local-demo-caller-token hotline_token=local-hotline-token
export CALLERS="demo:$demo_token:*:*"
sb=http://127.0.0.1:7000

for port in 7000 7001 7002 7003 7004 7005 7006 7007 7008 50051 50052 50053 50054 50055 8051 8053 8055 8151 9051 9052 9053 9054 9055; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "up: port $port is in use (a stack still running? stop it first)" >&2; exit 1
  fi
done
if [ "${KEEP_DATA:-0}" != 1 ]; then
  "$bin/payops-demo" reset
fi

declare -A pid_of=()
stop() {
  trap - EXIT INT TERM
  for p in "${pid_of[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait
}
trap stop EXIT
trap 'echo; echo "up: stopping" >&2; stop; exit 130' INT TERM

start() { # binary, then env assignments
  local name=$1; shift
  env "$@" "$bin/$name" >"$logs/$name.log" 2>&1 &
  pid_of[$name]=$!
}

http_ok() { # port, path: true when GET answers 200 (bash only: a fresh machine may lack curl)
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3 &&
    head -n 1 <&3 | grep -q " 200 "' _ "$1" "$2" 2>/dev/null
}

ready() { # name, port, path: waits until it answers 200; fails at once when the process died
  for _ in $(seq 1 240); do
    if http_ok "$2" "$3"; then return 0; fi
    if ! kill -0 "${pid_of[$1]}" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "up: $1 did not become ready; last lines of $logs/$1.log:" >&2
  tail -n 20 "$logs/$1.log" >&2
  return 1
}

launch() { # name, port, path, env assignments: start, wait until ready; again when a port was
  # taken for a moment (the fixed ports lie in the kernel's ephemeral range)
  local name=$1 port=$2 path=$3; shift 3
  for _ in 1 2 3; do
    start "$name" "$@"
    if ready "$name" "$port" "$path"; then return 0; fi
    grep -q "already in use" "$logs/$name.log" || return 1
    echo "up: trying $name again in 3 s" >&2; sleep 3
  done
  return 1
}

launch payops-sandbox 7000 /admin/urls SANDBOX_BASE_PORT=7000
launch payops-ticketing-bridge 9054 /readyz GRPC_ADDR=127.0.0.1:50054 ADMIN_ADDR=127.0.0.1:9054 \
  FRESHDESK_URL=http://127.0.0.1:7006 FRESHDESK_API_KEY=demo-api-key \
  FRESHDESK_GROUPS=hotline:43000000001,payments:43000000002,billing:43000000003 ATTENTION_GROUP=payments \
  CALLERS="$CALLERS;hotline-api:$hotline_token:ticketing.tickets.create:*"
launch payops-invoice-checks 9055 /readyz GRPC_ADDR=127.0.0.1:50055 ADMIN_ADDR=127.0.0.1:9055 PUBLIC_ADDR=127.0.0.1:8055 \
  POSTFINANCE_TEST_URL=http://127.0.0.1:7007/ncol/test/ POSTFINANCE_PROD_URL=http://127.0.0.1:7007/ncol/prod/ \
  CALLERS="$CALLERS;demo-manager:$manager_token:manual.*,swissbilling.transactions.*:*" SWISSBILLING_TENANTS=smarpay-test \
  SWISSBILLING_SMARPAY_TEST_ENV=test SWISSBILLING_SMARPAY_TEST_PSPID=smarpayTEST \
  SWISSBILLING_SMARPAY_TEST_USERID=payops-api SWISSBILLING_SMARPAY_TEST_PSWD=Api-Test-Pass1 \
  'SWISSBILLING_SMARPAY_TEST_SHA_IN_DIRECTLINK=DL-Test-Phrase!2025' \
  'SWISSBILLING_SMARPAY_TEST_SHA_IN_ECOM=Ecom-In-Test!2025' 'SWISSBILLING_SMARPAY_TEST_SHA_OUT=Ecom-Out-Test!2025' \
  SWISSBILLING_SMARPAY_TEST_SHA_ALGORITHM=SHA-256 SWISSBILLING_SMARPAY_TEST_PARTIAL_MAINTENANCE=true \
  SWISSBILLING_SMARPAY_TEST_MULTIPLE_MAINTENANCE=true SWISSBILLING_SMARPAY_TEST_REFUNDS=true
launch payops-terminal-gateway 9052 /readyz GRPC_ADDR=127.0.0.1:50052 ADMIN_ADDR=127.0.0.1:9052 \
  NETS_BASE_URL=http://127.0.0.1:7003 CREDENTIALS_KEY=0000000000000000000000000000000000000000000000000000000000c0ffee
# The pixi quiet window (PX-22) is 00:00-04:00 in production; the demo keeps one short minute.
launch payops-pixi-sync 9051 /readyz GRPC_ADDR=127.0.0.1:50051 ADMIN_ADDR=127.0.0.1:9051 \
  PUBLIC_ADDR=127.0.0.1:8051 PUBLIC_BASE_URL=http://127.0.0.1:8051 \
  CONSOLE_ADDR=127.0.0.1:8151 CONSOLE_BOOTSTRAP_ADMIN=ops CONSOLE_BOOTSTRAP_ADMIN_PASSWORD=payops-demo-konsole \
  UNZER_SANDBOX_BASE_URL=http://127.0.0.1:7002 UNZER_PRODUCTION_BASE_URL=http://127.0.0.1:7002 \
  PIXI_SYNC_SECRET_KEY=5ea1ed0000000000000000000000000000000000000000000000000000c0ffee \
  PIXI_QUIET_WINDOW="${PIXI_QUIET_WINDOW:-03:00-03:01}" POLL_INTERVAL=1s

"$bin/payops-demo" seed --env-out "$logs/seeded.env"
# shellcheck disable=SC1091
. "$logs/seeded.env"
launch payops-hotline-api 9053 /readyz GRPC_ADDR=127.0.0.1:50053 ADMIN_ADDR=127.0.0.1:9053 WEB_ADDR=127.0.0.1:8053 \
  PGW_BASE_URL=http://127.0.0.1:7004/api/v1 PGW_API_KEY=pgw-prod-demo-key \
  SMALLINVOICE_BASE_URL=http://127.0.0.1:7005/v2 SMALLINVOICE_CLIENT_ID=payops-demo \
  SMALLINVOICE_CLIENT_SECRET=payops-demo-secret TICKETING_URL=http://127.0.0.1:50054 TICKETING_TOKEN=$hotline_token \
  BOOTSTRAP_ADMIN=$admin_user BOOTSTRAP_ADMIN_PASSWORD=$admin_password \
  PIXI_SYNC_DASHBOARD_URL='http://127.0.0.1:8151/bestellungen/{order_id}' PIXI_SYNC_ERRORS_URL="$PIXI_SYNC_ERRORS_URL"
hints=$("$bin/payops-demo" hints 2>/dev/null || true)

cat <<TXT

payops is up (logs in $logs/, profile $PROFILE):
  hotline portal     http://127.0.0.1:8053/   login: $admin_user / $admin_password (local demo admin)
  pixi-sync console  http://127.0.0.1:8151/   login: ops / payops-demo-konsole (payops operator, every tenant)
  pixi-sync errors   $PIXI_SYNC_ERRORS_URL
  gRPC               pixi-sync 127.0.0.1:50051  terminal-gateway 127.0.0.1:50052  hotline-api 127.0.0.1:50053
                     ticketing-bridge 127.0.0.1:50054  invoice-checks 127.0.0.1:50055
  metrics            http://127.0.0.1:9051/metrics  http://127.0.0.1:9052/metrics  http://127.0.0.1:9053/metrics
                     http://127.0.0.1:9054/metrics  http://127.0.0.1:9055/metrics
  sandbox            admin $sb (tickets $sb/admin/freshdesk/tickets, mails $sb/admin/smtp/messages)
                     pixi 7001 unzer 7002 nets 7003 pgw 7004 smallinvoice 7005 freshdesk 7006 postfinance 7007 smtp 7008
Try in the portal (sandbox demo data):
$hints
Next: \`make demo\` in another terminal. Ctrl-C stops everything.
TXT
wait -n || true
echo "up: stopping everything (Ctrl-C, or a process ended: see its log in $logs/)" >&2
