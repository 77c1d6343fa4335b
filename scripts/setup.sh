#!/usr/bin/env bash
# Installs everything Motto needs to build, run and test on a Debian 12 machine.
# Idempotent: every step checks first and skips what is already there.
# Usage: scripts/setup.sh [--test]   (--test also installs Chromium and the e2e packages)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUST_VERSION="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$ROOT/rust-toolchain.toml")"
CARGO_LEPTOS_VERSION=0.3.11
# The exact version pinned in Cargo.toml (`wasm-bindgen = { version = "=X.Y.Z", ... }`
# or `wasm-bindgen = "=X.Y.Z"`): the CLI must match it.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen *=.*"=\([0-9][0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -n1)"
if [[ -z "$WASM_BINDGEN_VERSION" ]]; then
  echo "setup: cannot read the pinned wasm-bindgen version from Cargo.toml" >&2
  exit 1
fi
WANT_TEST=0
[[ "${1:-}" == "--test" ]] && WANT_TEST=1

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi

# --- Debian packages -------------------------------------------------------
apt_missing=()
for pkg in build-essential pkg-config brotli curl ca-certificates; do
  dpkg -s "$pkg" >/dev/null 2>&1 || apt_missing+=("$pkg")
done
if [[ $WANT_TEST == 1 ]]; then
  [[ -x /usr/bin/chromium ]] || apt_missing+=(chromium)
fi
if ((${#apt_missing[@]})); then
  log "installing Debian packages: ${apt_missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi
# Daemons the tests start themselves on free ports: nginx (the load balancer of
# the several-instances test) and rsyslog with its TLS driver (the audit
# streaming tests); openssl makes the tests' certificates. Installed without
# starting Debian's own services.
daemons_missing=()
if [[ $WANT_TEST == 1 ]]; then
  [[ -x /usr/sbin/nginx ]] || daemons_missing+=(nginx)
  [[ -x /usr/sbin/rsyslogd ]] || daemons_missing+=(rsyslog)
  dpkg -s rsyslog-gnutls >/dev/null 2>&1 || daemons_missing+=(rsyslog-gnutls)
  command -v openssl >/dev/null || daemons_missing+=(openssl)
fi
if ((${#daemons_missing[@]})); then
  log "installing Debian packages for the tests: ${daemons_missing[*]}"
  policy_added=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${daemons_missing[@]}" >/dev/null
  if [[ $policy_added == 1 ]]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi
# Debian's wasm-opt (binaryen 108) breaks hydration; we use npm's binaryen instead.
if dpkg -s binaryen >/dev/null 2>&1; then
  log "WARNING: Debian's binaryen is installed; its wasm-opt breaks hydration. npm's wasm-opt is used (first on PATH)."
fi

# --- Node.js ---------------------------------------------------------------
if ! command -v node >/dev/null || [[ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]]; then
  echo "Motto needs Node.js >= 20 (for Tailwind 4 and Playwright). Install it and re-run." >&2
  exit 1
fi

# --- Rust toolchain ----------------------------------------------------------
if ! command -v rustup >/dev/null; then
  echo "Motto needs rustup (https://rustup.rs). Install it and re-run." >&2
  exit 1
fi
if ! rustup toolchain list | grep -q "^${RUST_VERSION}-"; then
  log "installing Rust ${RUST_VERSION}"
  rustup toolchain install "$RUST_VERSION" --profile minimal --component clippy,rustfmt
fi
installed_components="$(rustup component list --installed --toolchain "$RUST_VERSION")"
for comp in clippy rustfmt; do
  grep -q "^${comp}" <<<"$installed_components" || rustup component add "$comp" --toolchain "$RUST_VERSION"
done
if ! rustup target list --installed --toolchain "$RUST_VERSION" | grep -q '^wasm32-unknown-unknown$'; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown --toolchain "$RUST_VERSION"
fi

# --- cargo-leptos and wasm-bindgen-cli --------------------------------------
# Both are built from crates.io (no GitHub downloads here). They install in parallel.
pids=()
if [[ "$(cargo leptos --version 2>/dev/null || true)" != *"$CARGO_LEPTOS_VERSION"* ]]; then
  log "installing cargo-leptos ${CARGO_LEPTOS_VERSION} (takes ~12 min the first time)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo "+$RUST_VERSION" install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --quiet &
  pids+=($!)
fi
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != *"$WASM_BINDGEN_VERSION"* ]]; then
  log "installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (takes ~12 min the first time)"
  # Not --locked: its published lockfile pins a crate version the registry lacks.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo "+$RUST_VERSION" install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --quiet &
  pids+=($!)
fi
for pid in "${pids[@]}"; do wait "$pid"; done

# --- npm packages (tailwind, wasm-opt; playwright for tests) ---------------
npm_install() {
  local dir="$1"
  if [[ ! -d "$dir/node_modules" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    log "npm packages in ${dir#$ROOT/}"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_install "$ROOT"
if [[ $WANT_TEST == 1 ]]; then
  npm_install "$ROOT/end2end"
fi
log "ready"
