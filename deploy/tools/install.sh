#!/usr/bin/env bash
# Installs what the checks need on a fresh machine of this kind (idempotent):
# the Rust components, cargo-nextest (when missing), buf, and the offline validators of the
# operability tests (kubernetes-validate, promtool, check-jsonschema) and headless Chromium.
set -euo pipefail
log() { echo "tools: $*" >&2; }

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install --locked cargo-nextest >/dev/null 2>&1 || log "cargo-nextest unavailable; make test falls back to cargo test"
fi
# cargo-deny for the supply-chain check of `make lint` (SE-09; deny.toml).
if ! cargo deny --version >/dev/null 2>&1; then
  log "installing cargo-deny (a few minutes, once per machine)"
  cargo install --locked cargo-deny >/dev/null 2>&1
fi
"$(dirname "$0")/buf.sh" --version >/dev/null
bash "$(dirname "$0")/ops-tools.sh"

# Headless Chromium for hotline-api's browser tests (Debian packages; not on a fresh machine).
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  log "installing chromium and chromium-driver"
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-color-emoji >/dev/null
fi
# buildah and mmdebstrap for the image test (tests/tests/operability/image.rs): images are built
# here without a Docker engine, on a base made from Debian packages.
if ! command -v buildah >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1; then
  log "installing buildah and mmdebstrap"
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah mmdebstrap >/dev/null
fi
# pgbench and pg_test_fsync for `make bench` come with the PostgreSQL server package.
log "ready"
