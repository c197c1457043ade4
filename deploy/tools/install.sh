#!/usr/bin/env bash
# Installs what the checks need on a fresh machine of this kind (idempotent):
# the Rust components, cargo-nextest (when missing), buf, and the offline validators of the
# operability tests (kubernetes-validate, promtool, check-jsonschema).
set -euo pipefail
log() { echo "tools: $*" >&2; }

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install --locked cargo-nextest >/dev/null 2>&1 || log "cargo-nextest unavailable; make test falls back to cargo test"
fi
"$(dirname "$0")/buf.sh" --version >/dev/null
bash "$(dirname "$0")/ops-tools.sh"
log "ready"
