#!/usr/bin/env bash
# Run Motto on this machine: installs what is missing, builds a release (skipped
# when nothing changed since the last one), and serves on SQLite (data/motto.db)
# at the printed URL. Settings come from the environment and .env (see
# .env.example); in development a SECRET_KEY is generated on first run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh
BUILD="$(scripts/build.sh release)"

export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$BUILD/site}"
exec "$BUILD/motto" "${@:-serve}"
