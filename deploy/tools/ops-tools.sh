#!/usr/bin/env bash
# Installs the offline checkers of the operability tests (idempotent, no daemon started):
#   - kubernetes-validate (Kubernetes JSON schemas ship inside the package), check-jsonschema
#     (the Compose spec ships inside it) and cloudcoil's prometheus-operator models (schemas of
#     ServiceMonitor / PrometheusRule) in a venv: $PAYOPS_TOOLS/ops-venv;
#   - grpcio with its reflection client in a venv of its own ($PAYOPS_TOOLS/grpc-venv) for
#     deploy/tools/grpc_generic_client.py, the generic gRPC client of the reflection test;
#   - promtool from Debian's `prometheus` package, unpacked into $PAYOPS_TOOLS/prometheus/ (the
#     package is downloaded, not installed, so no Prometheus server is ever started).
# PAYOPS_TOOLS defaults to $HOME/.cache/payops/tools. Prints the tool paths when ready; the
# tests in tests/tests/operability*.rs find them there.
set -euo pipefail
tools=${PAYOPS_TOOLS:-$HOME/.cache/payops/tools}
venv="$tools/ops-venv"
prom="$tools/prometheus"
log() { echo "ops-tools: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Pinned so every machine validates against the same schemas.
PY_PACKAGES=(kubernetes-validate==1.37.0 check-jsonschema==0.39.0 cloudcoil.models.prometheus-operator==0.80.1.0)
GRPC_PACKAGES=(grpcio==1.85.1 grpcio-reflection==1.85.1 protobuf==7.36.2)
grpc_venv="$tools/grpc-venv"

mkdir -p "$tools"
stamp="$venv/.payops-packages"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${PY_PACKAGES[*]}" ]; then
  log "installing ${PY_PACKAGES[*]} into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
  echo "${PY_PACKAGES[*]}" >"$stamp"
fi

grpc_stamp="$grpc_venv/.payops-packages"
if [ ! -x "$grpc_venv/bin/python" ] || [ "$(cat "$grpc_stamp" 2>/dev/null)" != "${GRPC_PACKAGES[*]}" ]; then
  log "installing ${GRPC_PACKAGES[*]} into $grpc_venv"
  python3 -m venv "$grpc_venv"
  "$grpc_venv/bin/pip" install --quiet --disable-pip-version-check "${GRPC_PACKAGES[@]}"
  echo "${GRPC_PACKAGES[*]}" >"$grpc_stamp"
fi

if [ ! -x "$prom/promtool" ]; then
  log "fetching promtool (Debian package prometheus)"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  if ! (cd "$work" && apt-get download prometheus >/dev/null 2>&1); then
    as_root apt-get update -qq
    (cd "$work" && apt-get download prometheus >/dev/null 2>&1)
  fi
  dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
  mkdir -p "$prom"
  install -m 0755 "$work/x/usr/bin/promtool" "$prom/promtool"
fi

"$venv/bin/kubernetes-validate" --version >/dev/null
"$venv/bin/check-jsonschema" --version >/dev/null
"$prom/promtool" --version >/dev/null 2>&1
"$grpc_venv/bin/python" -c "import grpc, grpc_reflection" >/dev/null
log "ready: $venv/bin/python, $grpc_venv/bin/python, $prom/promtool"
