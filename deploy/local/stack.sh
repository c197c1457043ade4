#!/usr/bin/env bash
# Makes PostgreSQL (127.0.0.1:5432, trust auth) and NATS with JetStream (127.0.0.1:4222)
# available for `make up`, `make test` and `.ci/run`, in this order of preference:
#   1. they already answer: use them;
#   2. a Docker engine runs: docker compose with deploy/local/deps.compose.yaml;
#   3. the Debian packages are installed: start them the way this machine kind does;
#   4. otherwise install the Debian packages (postgresql, nats-server) and start them with a
#      data dir of their own under $PAYOPS_DATA (default /var/lib/payops).
# Finally it creates the `payops` database used by `make up`.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 NATS_PORT=4222
DATA=${PAYOPS_DATA:-/var/lib/payops}
here=$(cd "$(dirname "$0")" && pwd)

log() { echo "stack: $*" >&2; }
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
pg_up() { answers $PG_HOST $PG_PORT && { ! command -v pg_isready >/dev/null || pg_isready -q -h $PG_HOST -p $PG_PORT; }; }
nats_up() { answers 127.0.0.1 $NATS_PORT; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 120); do
    if $check; then return 0; fi
    sleep 0.5
  done
  log "$what did not come up"; return 1
}

start_postgres() {
  if command -v pg_ctlcluster >/dev/null && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    log "starting the PostgreSQL cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    wait_for PostgreSQL pg_up && return 0
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  if [ -z "$bin" ]; then
    log "installing postgresql"
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
    if command -v pg_ctlcluster >/dev/null && [ -n "$(ls /etc/postgresql 2>/dev/null)" ] && \
       as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start && wait_for PostgreSQL pg_up; then
      return 0
    fi
  fi
  log "starting PostgreSQL with its own data dir $DATA/pg (trust auth on 127.0.0.1)"
  as_root mkdir -p "$DATA/pg" && as_root chown -R postgres:postgres "$DATA"
  if [ ! -f "$DATA/pg/PG_VERSION" ]; then
    as_root runuser -u postgres -- "$bin/initdb" -D "$DATA/pg" -A trust -U postgres >/dev/null
  fi
  as_root runuser -u postgres -- "$bin/pg_ctl" -D "$DATA/pg" -l "$DATA/pg.log" \
    -o "-c listen_addresses=$PG_HOST -p $PG_PORT -k /tmp" start >/dev/null
  wait_for PostgreSQL pg_up
}

start_nats() {
  if ! command -v nats-server >/dev/null && [ ! -x /usr/sbin/nats-server ]; then
    log "installing nats-server"
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
  fi
  local exe
  exe=$(command -v nats-server || echo /usr/sbin/nats-server)
  log "starting NATS with JetStream (store $DATA/nats)"
  as_root mkdir -p "$DATA/nats"
  as_root start-stop-daemon --start --oknodo --background --exec "$exe" -- \
    -a 127.0.0.1 -p $NATS_PORT -js -sd "$DATA/nats" -l "$DATA/nats.log"
  wait_for NATS nats_up
}

if pg_up && nats_up; then
  log "PostgreSQL and NATS answer"
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  log "starting PostgreSQL and NATS with Docker Compose"
  docker compose -f "$here/deps.compose.yaml" up -d --wait
  wait_for PostgreSQL pg_up && wait_for NATS nats_up
else
  pg_up || start_postgres
  nats_up || start_nats
fi

if command -v psql >/dev/null; then
  if ! psql -h $PG_HOST -p $PG_PORT -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'payops'" postgres | grep -q 1; then
    psql -h $PG_HOST -p $PG_PORT -U postgres -qc "CREATE DATABASE payops" postgres
    log "created database payops"
  fi
fi
log "ready: DATABASE_URL=postgres://postgres@$PG_HOST:$PG_PORT/payops NATS_URL=nats://127.0.0.1:$NATS_PORT"
