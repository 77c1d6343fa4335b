#!/usr/bin/env bash
# Run Motto on this machine: installs what is missing, builds a release, and serves
# on SQLite (data/motto.db) at the printed URL. Settings come from the environment
# and .env (see .env.example); in development a SECRET_KEY is generated on first run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh
TOOLCHAIN="+$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/motto/target}"

echo "Building Motto (release; the first build takes several minutes)..." >&2
cargo "$TOOLCHAIN" leptos build --release

export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$ROOT/target/site}"
exec "$CARGO_TARGET_DIR/release/motto" "${@:-serve}"
