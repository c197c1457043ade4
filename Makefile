# payops — the front door. Each target is one line; logic lives in deploy/ scripts.
.DEFAULT_GOAL := help
SHELL := bash

export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export NATS_URL ?= nats://127.0.0.1:4222

.PHONY: help up demo deps test lint fmt bench chaos contracts docs deny

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

up: ## Start Postgres + NATS, the sandbox and every service, seed the demo; print portal, gRPC and metrics URLs
	@deploy/local/up.sh

demo: ## With `make up` running: drive one order from pixi to a ticket and print its hotline timeline
	@cargo run --quiet -p demo --bin payops-demo -- run

deps: ## Make Postgres and NATS available (start or install them)
	@deploy/local/stack.sh

test: deps ## Run every test (unit, integration, end-to-end) against real Postgres and NATS
	@cargo build --workspace --bins --quiet && if cargo nextest --version >/dev/null 2>&1; then cargo nextest run --workspace --no-fail-fast; else cargo test --workspace --no-fail-fast; fi

lint: ## cargo fmt --check, clippy -D warnings, buf lint, cargo deny (licences, bans, sources)
	@cargo fmt --all -- --check && cargo clippy --workspace --all-targets --quiet -- -D warnings && deploy/tools/buf.sh lint && cargo deny --log-level error check licenses bans sources

deny: ## cargo deny with the advisory database too (needs github.com; CI cannot reach it)
	@cargo deny check

fmt: ## Format the code
	@cargo fmt --all

docs: ## Rule index docs/rules.md from the catalogue (docs/rules/*.md) and the code
	@cargo run --quiet -p xtask -- docs

contracts: ## Partner contract cases per partner (verified / unverified); rewrites crates/sandbox/contracts/README.md
	@cargo run --quiet -p sandbox --bin payops-sandbox -- contracts --write

bench: deps ## Run the benchmarks; writes target/bench-report.md and .json
	@deploy/bench/run.sh

chaos: deps ## Chaos suite at full size (1000 orders, kills, NATS/Postgres restarts, partner faults); CHAOS_SEED=<n> replays
	@CHAOS_ORDERS=$${CHAOS_ORDERS:-1000} CHAOS_SEED=$${CHAOS_SEED:-$$RANDOM$$RANDOM} CHAOS_SETTLE_SECS=$${CHAOS_SETTLE_SECS:-600} cargo nextest run -p tests --test chaos --no-capture --profile chaos
