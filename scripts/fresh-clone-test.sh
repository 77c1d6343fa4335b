#!/usr/bin/env bash
# Proves the README's run command works for a new person: clones the committed
# HEAD into an empty temporary directory, runs the first command of the README's
# Quick start there exactly as written (only LISTEN_ADDR, a free port, is added
# through the environment; the time limit is this script's), waits for the URL it
# prints and for /health, registers a person in Chromium, then stops it with
# SIGTERM and checks it exited cleanly.
#
# What it catches: directories a fresh clone lacks (data/), files that exist only
# in a developer's tree, ignored files the build needs, set-up steps done by hand.
# It reuses the build cache (scripts/build.sh keys builds by their inputs' content,
# not by path or file times), so a commit already built costs seconds.
#
# Usage: scripts/fresh-clone-test.sh      (MOTTO_FRESH_CLONE_TIMEOUT=seconds, default 1800)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIMIT="${MOTTO_FRESH_CLONE_TIMEOUT:-1800}"
log() { printf '\033[1;34m[fresh-clone]\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[1;31m[fresh-clone] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

WORK="$(mktemp -d /tmp/motto-fresh-clone.XXXXXX)"
PID=""
cleanup() {
  if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM -- "-$PID" 2>/dev/null || true
    sleep 2
    kill -KILL -- "-$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]]; then
  log "note: uncommitted changes are not part of this test (it clones the committed HEAD)"
fi
git clone --quiet "$ROOT" "$WORK/motto"
cd "$WORK/motto"
log "cloned $(git rev-parse --short HEAD) into $WORK/motto"

# The run command, exactly as the README writes it: the first line of the first
# code block under "## Quick start".
RUN_CMD="$(awk '/^## Quick start/{q=1; next} q && /^## /{exit} q && /^```/{ if (c) exit; c=1; next } c && NF {print; exit}' README.md)"
[[ -n "$RUN_CMD" ]] || fail "no command found in the README's Quick start"
log "running the README's run command: $RUN_CMD"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
OUT="$WORK/run.log"
# Its own process group, so a time-out stops the build or server and all children.
LISTEN_ADDR="127.0.0.1:$PORT" setsid bash -c "$RUN_CMD" >"$OUT" 2>&1 </dev/null &
PID=$!
START=$(date +%s)

URL=""
while [[ -z "$URL" ]]; do
  if ! kill -0 "$PID" 2>/dev/null; then
    tail -n 40 "$OUT" >&2
    fail "the run command exited before printing a URL"
  fi
  if (($(date +%s) - START > LIMIT)); then
    tail -n 40 "$OUT" >&2
    fail "no URL printed within ${LIMIT}s"
  fi
  URL="$(grep -o 'Motto is running at http[^ ]*' "$OUT" | head -n1 | sed 's/^Motto is running at //' || true)"
  [[ -n "$URL" ]] || sleep 1
done
URL="${URL%/}"
log "it printed $URL after $(($(date +%s) - START))s"
[[ "$URL" == *":$PORT" ]] || fail "the printed URL $URL is not on the port given in LISTEN_ADDR ($PORT)"

for _ in $(seq 1 50); do
  if curl -fsS "$URL/health" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
curl -fsS "$URL/health" >/dev/null || { tail -n 40 "$OUT" >&2; fail "$URL/health does not answer 200"; }
log "$URL/health answers"

log "registering a person in Chromium"
if ! (cd "$ROOT/end2end" && MOTTO_FRESH_URL="$URL" npx playwright test --config fresh-clone.config.ts); then
  tail -n 40 "$OUT" >&2
  fail "registration in Chromium failed"
fi

log "stopping it (SIGTERM)"
kill -TERM -- "-$PID"
STATUS=0
wait "$PID" || STATUS=$?
PID=""
[[ $STATUS == 0 ]] || { tail -n 40 "$OUT" >&2; fail "it exited with status $STATUS after SIGTERM (expected 0)"; }
[[ -f data/motto.db ]] || fail "data/motto.db was not created in the clone"
[[ "$(stat -c %a .env)" == 600 ]] || fail ".env (the generated development SECRET_KEY) is not mode 0600"
log "passed in $(($(date +%s) - START))s"
