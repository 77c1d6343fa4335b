#!/usr/bin/env bash
# Builds Motto (server binary + compiled site) with cargo-leptos and prints the
# directory that holds the result: `<dir>/motto` and `<dir>/site`.
#
#   scripts/build.sh release   optimised, site precompressed (.br/.gz) — scripts/run.sh
#   scripts/build.sh debug     what the end-to-end tests run
#
# Results are kept by a fingerprint of everything the build reads (sources, style,
# public assets, migrations, manifests and lock files, tool versions, build flags).
# When nothing changed, the build is skipped entirely: no cargo, no wasm-bindgen,
# no wasm-opt, no compression. cargo-leptos itself cannot skip those steps (its
# `build` always regenerates the whole site), and keying on content rather than
# on file times lets a fresh clone of the same commit reuse the result.
# The cache lives outside the clone: $MOTTO_CACHE_DIR, default ~/.cache/motto.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PROFILE="${1:-release}"
case "$PROFILE" in
  release | debug) ;;
  *) echo "usage: scripts/build.sh [release|debug]" >&2; exit 2 ;;
esac
TOOLCHAIN="+$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)"
CACHE="${MOTTO_CACHE_DIR:-$HOME/.cache/motto}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
# Keep this many builds per profile (each ~100 MB).
KEEP="${MOTTO_BUILD_CACHE_KEEP:-3}"

log() { printf '\033[1;34m[build]\033[0m %s\n' "$*" >&2; }

fingerprint() {
  {
    echo "profile=$PROFILE"
    rustc "$TOOLCHAIN" --version
    cargo "$TOOLCHAIN" leptos --version
    wasm-bindgen --version
    # What npm installed (Tailwind, binaryen's wasm-opt).
    sha256sum node_modules/.package-lock.json 2>/dev/null | cut -c1-64 || echo "no node_modules"
    # Build settings from the environment.
    env | grep -E '^(RUSTFLAGS|RUSTDOCFLAGS|CARGO_ENCODED_RUSTFLAGS|CARGO_PROFILE_|CARGO_BUILD_|CARGO_TARGET_DIR|LEPTOS_)' | LC_ALL=C sort || true
    # Every file the build reads, ignored ones included: a file the build needs
    # but git does not carry changes the fingerprint, so a fresh clone (which
    # lacks it) builds for itself and fails as a new user would.
    local inputs=()
    for p in Cargo.toml Cargo.lock rust-toolchain.toml package.json package-lock.json \
      build.rs .cargo src style public migrations; do
      [[ -e "$p" ]] && inputs+=("$p")
    done
    find "${inputs[@]}" -type f | LC_ALL=C sort | xargs -d '\n' sha256sum
  } | sha256sum | cut -c1-20
}

FP="$(fingerprint)"
OUT="$CACHE/builds/$PROFILE-$FP"
if [[ -f "$OUT/complete" && -x "$OUT/motto" && -d "$OUT/site/pkg" ]]; then
  log "nothing changed since build $FP ($PROFILE): reusing it"
  touch "$OUT"
  echo "$OUT"
  exit 0
fi

# Cargo names the crate's outputs by its path relative to the workspace, so
# another checkout (the fresh-clone test's) builds into the same files; its
# sources being newer, cargo would then take this tree's older ones for built.
# A fresh timestamp on one source makes cargo look at this tree's crate again.
touch src/lib.rs

if [[ "$PROFILE" == release ]]; then
  log "building Motto (release; the first build takes several minutes)"
  cargo "$TOOLCHAIN" leptos build --release --precompress >&2
else
  log "building Motto (debug)"
  cargo "$TOOLCHAIN" leptos build >&2
fi

# A source edited while cargo ran may or may not be in this build: keep it, but do
# not file it under either fingerprint.
if [[ "$(fingerprint)" != "$FP" ]]; then
  log "sources changed during the build: this build is used once, not kept"
  OUT="$CACHE/builds/$PROFILE-unkept"
fi

# Copy the result aside under its fingerprint (the site in target/site and the
# binary are overwritten by the next build of either profile).
rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp"
cp "$CARGO_TARGET_DIR/$PROFILE/motto" "$OUT.tmp/motto"
cp -r target/site "$OUT.tmp/site"
date -u +%FT%TZ >"$OUT.tmp/complete"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"

# Forget the oldest builds of this profile.
ls -1dt "$CACHE/builds/$PROFILE-"* 2>/dev/null | grep -v '\.tmp$' | tail -n "+$((KEEP + 1))" |
  while read -r old; do rm -rf "$old"; done

log "built $FP ($PROFILE)"
echo "$OUT"
