# Every developer workflow. `just` lists the recipes.
# Settings come from the environment (see README.md and .env.example); scripts/env.sh fills in
# local defaults: PostgreSQL and Redis on 127.0.0.1 at their standard ports.

set shell := ["bash", "-euo", "pipefail", "-c"]
set dotenv-load := false

tsunagu := "cargo run --quiet --locked -p tsunagu-gateway --bin tsunagu --"

# List the recipes.
default:
    @just --list

# Set up everything (roles, database, migrations, demo tenants and content) and serve.
dev: _build preflight migrate tenant-apply seed
    #!/usr/bin/env bash
    set -euo pipefail
    source scripts/env.sh
    port="${TSUNAGU_LISTEN##*:}"
    base="${TSUNAGU_BASE_DOMAIN}"
    echo ""
    echo "Tsunagu is starting on ${TSUNAGU_LISTEN}:"
    echo "  landing     http://${base}:${port}/"
    echo "  demo (ja)   http://demo.${base}:${port}/"
    echo "  acme (en)   http://acme.${base}:${port}/"
    echo "  console     http://console.${base}:${port}/"
    echo "  (*.localhost resolves to 127.0.0.1 in current browsers; otherwise add them to /etc/hosts)"
    echo ""
    exec {{tsunagu}} serve

# Build the binary (dev profile).
_build:
    cargo build --locked -p tsunagu-gateway --bin tsunagu

# Check that PostgreSQL and Redis answer; says which is missing and how to point at it.
preflight:
    source scripts/env.sh && {{tsunagu}} preflight

# Create roles and the database if missing, then run pending migrations.
migrate:
    source scripts/env.sh && {{tsunagu}} migrate

# Apply tenant-config/ (all or nothing, idempotent).
tenant-apply path="tenant-config":
    source scripts/env.sh && {{tsunagu}} tenant apply {{path}}

# Seed demo content into the demo tenants (idempotent).
seed:
    source scripts/env.sh && {{tsunagu}} seed demo

# The whole suite against real PostgreSQL, Redis and Chromium; prints the counts.
test: _test-deps
    #!/usr/bin/env bash
    set -euo pipefail
    source scripts/env.sh
    start=$(date +%s)
    log=$(mktemp)
    set +e
    cargo test --locked --workspace 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
    failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
    ignored=$(grep -Eo '[0-9]+ ignored' "$log" | awk '{s+=$1} END {print s+0}')
    rm -f "$log"
    echo ""
    echo "just test: $(( $(date +%s) - start )) s"
    echo "${passed} passed, ${failed} failed, ${ignored} skipped"
    exit "$status"

# Node modules for the browser journeys (playwright-core; Chromium comes from the system) and
# the official stripe package the webhook signature is cross-checked with.
_test-deps:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v node >/dev/null; then echo "Node.js 18+ is needed for the browser tests (apt-get install nodejs npm)" >&2; exit 1; fi
        # Installed afresh whenever the lock file is newer than what npm last installed.
    if [ ! -f tests/browser/node_modules/.package-lock.json ] || [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then (cd tests/browser && npm ci --no-audit --no-fund --silent); fi
    if ! python3 -c "import aiosmtpd" 2>/dev/null; then
      echo "installing aiosmtpd (the SMTP server the mail tests talk to)"
      python3 -m pip install --quiet aiosmtpd || { echo "Python 3 with pip is needed: python3 -m pip install aiosmtpd" >&2; exit 1; }
    fi
    if ! python3 -c "import icalendar" 2>/dev/null; then
      echo "installing icalendar (the parser that checks the calendar files the events tests make)"
      python3 -m pip install --quiet icalendar || { echo "Python 3 with pip is needed: python3 -m pip install icalendar" >&2; exit 1; }
    fi
    if [ -z "${TSUNAGU_CHROMIUM:-}" ] && ! command -v chromium >/dev/null; then
      echo "Chromium is needed for the browser tests: apt-get install chromium (or set TSUNAGU_CHROMIUM=/path/to/chrome)" >&2; exit 1
    fi

# Benchmarks at the target scale (1,000 tenants, one with 100k members and 1M posts) against two
# Fortunes baselines in the same run; writes docs/benchmarks.md. Extra flags go to
# `tsunagu-bench run` (e.g. `just bench --fresh` reloads the data). The data lives in its own
# database, tsunagu_bench, and is reused while it has the right shape.
bench *flags:
    #!/usr/bin/env bash
    set -euo pipefail
    source scripts/env.sh
    target="${CARGO_TARGET_DIR:-target}"
    # Two builds, not one: built together the bench's extra hyper features would change the
    # server's dependency graph.
    cargo build --locked --release -p tsunagu-gateway --bin tsunagu
    cargo build --locked --release -p tsunagu-bench
    "$target/release/tsunagu-bench" run --server "$target/release/tsunagu" \
      --out docs/benchmarks.md --json "$target/benchmarks.json" {{flags}}

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --locked --workspace --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt --all
