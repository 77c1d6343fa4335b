#!/usr/bin/env bash
# Runs two tools from PyPI against a Motto server on loopback, on SQLite and (when
# TEST_DATABASE_URL is set) on PostgreSQL:
#  - sqlmap against the login and registration forms: fails if anything is injectable;
#  - schemathesis against the live OpenAPI document of the REST API, with a valid
#    access token: fails on any server error or any answer that breaks the spec
#    (status, content type, headers, body schema).
# Called by scripts/test.sh; runnable alone after a build: MOTTO_BIN=... scripts/security.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${MOTTO_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/motto/target}/debug/motto}"
VENV="$HOME/.cache/motto/venv"
log() { printf '\033[1;34m[security]\033[0m %s\n' "$*" >&2; }

SCHEMATHESIS_VERSION=4.32.5
if [[ ! -x "$VENV/bin/sqlmap" ]] || ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  log "installing sqlmap and schemathesis $SCHEMATHESIS_VERSION from PyPI"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check sqlmap "schemathesis==$SCHEMATHESIS_VERSION"
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

WORK="$(mktemp -d /tmp/motto-sqlmap.XXXXXX)"
PIDS=()
DBS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for db in "${DBS[@]}"; do
    psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

BASE=""
start_server() { # name database_url; sets BASE
  local name="$1" url="$2" port
  port="$(free_port)"
  mkdir -p "$WORK/$name"
  (cd "$WORK/$name" && exec env -i PATH="$PATH" LISTEN_ADDR="127.0.0.1:$port" DATA_DIR="$WORK/$name" \
    DATABASE_URL="$url" SECRET_KEY="sqlmap-4f2a9c7e1b5d3f8a6c0e2b4d6f8a1c3e5b7d" \
    LEPTOS_SITE_ROOT="$ROOT/target/site" LOG_LEVEL=error \
    RATE_LIMIT_LOGIN=off RATE_LIMIT_REGISTER=off RATE_LIMIT_SERVER_FN=off RATE_LIMIT_API=off \
    LOGIN_THROTTLE_FREE_ATTEMPTS=100000 LOGIN_THROTTLE_SOURCE_FREE_ATTEMPTS=100000 \
    "$BIN" serve) >"$WORK/$name/server.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
      BASE="http://127.0.0.1:$port"
      return
    fi
    sleep 0.2
  done
  cat "$WORK/$name/server.log" >&2
  echo "server $name did not start" >&2
  exit 1
}

scan() { # base name
  local base="$1" name="$2"
  local out="$WORK/$name/sqlmap" found=0
  # A real account that has logged in from here before, so the per-account cap of
  # login throttling does not answer sqlmap's probes of the password field with 429.
  curl -fsS -o /dev/null -X POST "$base/api/register" \
    --data "username=alice&email=alice%40example.com&password=violet+ferry+lantern+quietly&password_confirm=violet+ferry+lantern+quietly"
  curl -fsS -o /dev/null -X POST "$base/api/login" \
    --data "login=alice&password=violet+ferry+lantern+quietly"
  for form in \
    "login|login=alice&password=violet+ferry+lantern+quietly&next=%2F" \
    "register|username=alice&email=alice%40example.com&password=violet+ferry+lantern+quietly&password_confirm=violet+ferry+lantern+quietly"; do
    local endpoint="${form%%|*}" data="${form#*|}"
    log "sqlmap on $name: POST /api/$endpoint"
    "$VENV/bin/sqlmap" -u "$base/api/$endpoint" --data "$data" --method POST \
      --batch --level 1 --risk 1 --flush-session --disable-coloring \
      --output-dir "$out" --threads 2 --timeout 10 --retries 1 >"$out-$endpoint.log" 2>&1 || true
    if grep -qiE "is vulnerable|identified the following injection point" "$out-$endpoint.log"; then
      log "INJECTABLE: /api/$endpoint on $name"
      grep -iE "Parameter:|Type:|Payload:" "$out-$endpoint.log" >&2 || true
      found=1
    elif ! grep -qiE "do not appear to be injectable|not injectable" "$out-$endpoint.log"; then
      log "sqlmap did not finish its checks on /api/$endpoint ($name):"
      tail -n 20 "$out-$endpoint.log" >&2
      found=1
    fi
  done
  return $found
}

fuzz_api() { # base name
  local base="$1" name="$2" token
  token="$(curl -fsS -X POST "$base/api/v1/auth/token" -H 'content-type: application/json' \
    -d '{"username":"alice","password":"violet ferry lantern quietly"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
  log "schemathesis on $name: every operation of $base/api/v1/openapi.json"
  # Run from the scratch directory: schemathesis keeps a cache in its working directory.
  if ! (cd "$WORK/$name" && "$VENV/bin/schemathesis" run "$base/api/v1/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples 50 --no-color >"$WORK/$name/schemathesis.log" 2>&1); then
    log "schemathesis found problems in the REST API on $name:"
    tail -n 80 "$WORK/$name/schemathesis.log" >&2
    grep -iE "panic|error" "$WORK/$name/server.log" | tail -n 20 >&2 || true
    return 1
  fi
  grep -E "generated|Seed:" "$WORK/$name/schemathesis.log" >&2 || true
}

status=0
mkdir -p "$WORK/sqlite"
start_server sqlite "sqlite://$WORK/sqlite/motto.db"
scan "$BASE" sqlite || status=1
fuzz_api "$BASE" sqlite || status=1
if [[ -n "${TEST_DATABASE_URL:-}" ]] && command -v psql >/dev/null; then
  db="motto_sqlmap_$(date +%s)_$$"
  psql -q "$TEST_DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
  DBS+=("$db")
  start_server postgres "${TEST_DATABASE_URL%/*}/$db"
  scan "$BASE" postgres || status=1
  fuzz_api "$BASE" postgres || status=1
fi
if [[ $status == 0 ]]; then
  log "sqlmap found nothing injectable in the login and registration forms;"
  log "schemathesis found no server error and no answer outside the OpenAPI document"
fi
exit $status
