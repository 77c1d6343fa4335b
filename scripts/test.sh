#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, finds (or
# starts) PostgreSQL, then runs the gates (fmt, clippy for ssr and hydrate), the
# unit and integration tests on SQLite and PostgreSQL, the end-to-end tests in
# Chromium (with axe-core) against the release build on both databases, the
# README's run command on a fresh clone, then sqlmap and schemathesis.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START=$(date +%s)
step() { printf '\n\033[1;32m==> %s\033[0m (%ss)\n' "$*" "$(( $(date +%s) - START ))" >&2; }

step "setup"
scripts/setup.sh --test
TOOLCHAIN="+$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)"

# Build outputs live outside the clone so later runs (and CI) start warm.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/motto/target}"
mkdir -p "$CARGO_TARGET_DIR"
# cargo-leptos debug builds compile with this flag; using it for cargo test and
# clippy too lets them share one set of compiled dependencies.
LEPTOS_FLAGS="--cfg erase_components"

# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
ensure_postgres
ensure_redis

step "cargo fmt --check"
cargo "$TOOLCHAIN" fmt --all -- --check

step "no import circles among the server modules"
python3 scripts/import-circles.py

step "clippy (ssr, all targets)"
RUSTFLAGS="$LEPTOS_FLAGS" cargo "$TOOLCHAIN" clippy --features ssr --all-targets -- -D warnings
step "clippy (hydrate, wasm32)"
cargo "$TOOLCHAIN" clippy --features hydrate --lib --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests (SQLite + PostgreSQL)"
RUSTFLAGS="$LEPTOS_FLAGS" cargo "$TOOLCHAIN" test --features ssr

# The end-to-end tests run the release build a new person runs (precompressed,
# optimised WASM); the fresh-clone test below reuses it (same sources, same build).
step "build Motto for the end-to-end tests (scripts/build.sh release)"
BUILD="$(scripts/build.sh release)"

step "end-to-end tests in Chromium"
E2E_DIR="$(mktemp -d /tmp/motto-e2e.XXXXXX)"
E2E_DB=""
cleanup_e2e() {
  if [[ -n "$E2E_DB" ]]; then
    psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $E2E_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$E2E_DIR"
  if declare -F stop_throwaway_postgres >/dev/null; then stop_throwaway_postgres; fi
  if declare -F stop_throwaway_redis >/dev/null; then stop_throwaway_redis; fi
}
trap cleanup_e2e EXIT
export MOTTO_BIN="$BUILD/motto"
export MOTTO_SITE_ROOT="$BUILD/site"
export MOTTO_E2E_DIR="$E2E_DIR"
export MOTTO_E2E_SQLITE_PORT="$(free_port)"
export MOTTO_E2E_PG_PORT="$(free_port)"
export MOTTO_E2E_OIDC_PORT="$(free_port)"
export MOTTO_E2E_SYSLOG_PORT="$(free_port)"
if command -v psql >/dev/null; then
  E2E_DB="motto_e2e_$(date +%s)_$$"
  psql -q "$TEST_DATABASE_URL" -c "CREATE DATABASE $E2E_DB" >/dev/null
  export MOTTO_E2E_PG_URL="${TEST_DATABASE_URL%/*}/$E2E_DB"
  # The instance serves as an application role that cannot rewrite the audit
  # log; it migrates as the owner above (DATABASE_OWNER_URL).
  psql -q "$TEST_DATABASE_URL" -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'motto_e2e_app') THEN CREATE ROLE motto_e2e_app LOGIN; END IF; END \$\$" >/dev/null
  case "$MOTTO_E2E_PG_URL" in
    *//*@*) export MOTTO_E2E_PG_APP_URL="$(printf '%s' "$MOTTO_E2E_PG_URL" | sed 's#//[^@/]*@#//motto_e2e_app@#')" ;;
  esac
else
  echo "psql not found: end-to-end tests run on SQLite only" >&2
fi
(cd end2end && npx playwright test)

step "fresh clone: the README's run command, as a new person runs it"
scripts/fresh-clone-test.sh

step "sqlmap against the login and registration forms"
scripts/security.sh

step "ASVS coverage"
scripts/asvs-coverage.sh || true

step "all tests passed"
