# The two set-up commands are `make demo` and `make test`; everything else here is for day-to-day work.
.PHONY: demo test services stop bench bench-dialogue bench-external

# Run the product locally (starts Postgres and Redis first).
demo: services
	cargo run --release --bin loyalty -- demo

# The whole test suite: formatting, lints, unit and integration tests against real Postgres and Redis.
test: services
	cargo fmt --all -- --check
	cargo clippy --all-targets --workspace -- -D warnings
	@if cargo nextest --version >/dev/null 2>&1; then \
		cargo nextest run --workspace --no-fail-fast; \
	else \
		cargo test --workspace --no-fail-fast; \
	fi

# Ledger throughput and latency beside pgbench -N, on the local Postgres.
bench: services
	cargo run --release -p load -- ledger

# Dialogue steps/s and latency through the sandbox, and memory after 100,000 chats.
bench-dialogue: services
	cargo run --release -p load -- dialogue

# The same dialogue driven from another process that plays Telegram (../shared/tools/tgbench), by polling and webhook.
bench-external: services
	cargo build --release --manifest-path ../shared/tools/tgbench/Cargo.toml --target-dir target/tgbench
	cargo build --release --manifest-path load/peers/teloxide/Cargo.toml --target-dir target/peer
	cargo run --release -p load -- dialogue-external --peer-bin target/peer/release/teloxide-peer

services:
	scripts/services.sh start

stop:
	scripts/services.sh stop
