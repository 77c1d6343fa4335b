#!/usr/bin/env bash
# One command for the load benchmarks: builds release, seeds a database, starts
# Motto (and the baseline server in bench/baseline.rs) on loopback, drives them
# with wrk, and prints a Markdown table: req/s, p50/p95/p99 latency, errors and
# peak RSS per scenario, Motto's throughput as a ratio to the baseline, idle RSS
# and the size of the WASM bundle.
#
#   bench/run.sh                 # SQLite
#   bench/run.sh --postgres      # PostgreSQL too (TEST_DATABASE_URL or 127.0.0.1:5432)
#   bench/run.sh --teams [--postgres]
#       the documents page and search for one account, first alone, then after
#       BENCH_SPACES (1000) shared spaces, BENCH_GROUPS (200) groups and
#       BENCH_SHARED_DOCS (100000) documents are added, the account a member of
#       BENCH_MEMBER_OF (50) of the spaces; same server, back to back
#
# Scale and duration: BENCH_AUDIT_EVENTS (1000000), BENCH_DOCS (500 for the
# measured account), BENCH_SECONDS (15 per scenario), BENCH_CONNECTIONS (32).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '\033[1;35m[bench]\033[0m %s\n' "$*" >&2; }

WITH_PG=0
TEAMS=0
for arg in "$@"; do
  case "$arg" in
    --postgres) WITH_PG=1 ;;
    --teams) TEAMS=1 ;;
    *) echo "usage: bench/run.sh [--teams] [--postgres]" >&2; exit 2 ;;
  esac
done
SPACES="${BENCH_SPACES:-1000}"
GROUPS_N="${BENCH_GROUPS:-200}"
SHARED_DOCS="${BENCH_SHARED_DOCS:-100000}"
MEMBER_OF="${BENCH_MEMBER_OF:-50}"
if [[ $TEAMS == 1 ]]; then
  AUDIT_EVENTS="${BENCH_AUDIT_EVENTS:-10000}"
else
  AUDIT_EVENTS="${BENCH_AUDIT_EVENTS:-1000000}"
fi
DOCS="${BENCH_DOCS:-500}"
SECONDS_PER="${BENCH_SECONDS:-15}"
CONNS="${BENCH_CONNECTIONS:-32}"
PASSWORD="bench violet ferry lantern"

scripts/setup.sh
if ! command -v wrk >/dev/null; then
  log "installing Debian's wrk"
  SUDO=""; [[ "$(id -u)" != 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
TOOLCHAIN="+$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/motto/target}"

log "building release (cargo leptos build --release) and the baseline server"
cargo "$TOOLCHAIN" leptos build --release >&2
# The teams run compares Motto with itself: no baseline server.
if [[ $TEAMS == 0 ]]; then
  cargo "$TOOLCHAIN" build --release --features ssr --example baseline >&2
fi
MOTTO="$CARGO_TARGET_DIR/release/motto"
BASELINE="$CARGO_TARGET_DIR/release/examples/baseline"
WASM="$(ls target/site/pkg/*.wasm | head -n1)"
WASM_RAW=$(stat -c %s "$WASM")
WASM_BR=$(brotli -c -q 11 "$WASM" | wc -c)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
kb_of() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }

WORK="$(mktemp -d /tmp/motto-bench.XXXXXX)"
PIDS=()
PG_DB=""
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [[ -n "$PG_DB" ]]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_up() {
  for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "server on port $1 did not start" >&2; return 1
}

# wrk PORT PATH CONNECTIONS SECONDS [curl-style header...] -> "req/s p50 p95 p99 errors requests"
run_wrk() {
  local port=$1 path=$2 conns=$3 secs=$4; shift 4
  local hdrs=()
  for h in "$@"; do hdrs+=(-H "$h"); done
  wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s "${hdrs[@]}" -s bench/report.lua \
    "http://127.0.0.1:$port$path" | awk '/^RESULT/ { print $2, $3, $4, $5, $6, $7 }'
}

ROWS=()
row() { ROWS+=("$1"); }

# scenario LABEL BACKEND PID PORT PATH CONNS [headers...]: measures, records peak RSS.
scenario() {
  local label=$1 backend=$2 pid=$3 port=$4 path=$5 conns=$6; shift 6
  echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || true
  local out; out="$(run_wrk "$port" "$path" "$conns" "$SECONDS_PER" "$@")"
  local peak; peak="$(kb_of "$pid" VmHWM)"
  read -r rps p50 p95 p99 errors _ <<<"$out"
  row "| $backend | $label | $rps | $p50 | $p95 | $p99 | $errors | $(mb "$peak") |"
  LAST_RPS=$rps; LAST_P99=$p99
}

bench_backend() {
  local backend=$1 url=$2
  local dir="$WORK/$backend"; mkdir -p "$dir"
  log "$backend: seeding (20 accounts, $DOCS documents for the measured one, $AUDIT_EVENTS audit events)"
  local secret; secret="$(python3 -c 'import secrets; print(secrets.token_hex(48))')"
  local vars=(DATABASE_URL="$url" SECRET_KEY="$secret" DATA_DIR="$dir"
    ENVIRONMENT=production PUBLIC_URL=https://bench.example ALLOW_HTTP=true LOG_LEVEL=warn
    LEPTOS_SITE_ROOT="$ROOT/target/site" RATE_LIMIT_LOGIN=off RATE_LIMIT_SERVER_FN=off
    RATE_LIMIT_API=off LOGIN_THROTTLE_FREE_ATTEMPTS=1000000 LOGIN_THROTTLE_SOURCE_FREE_ATTEMPTS=1000000)
  # Seeding is refused in production: it runs as development on the same database.
  (cd "$dir" && printf '%s\n' "$PASSWORD" | env -i PATH="$PATH" DATABASE_URL="$url" SECRET_KEY="$secret" \
    "$MOTTO" seed --users 1 --documents "$DOCS" --revisions 1 --conversations 5 --messages 6 --audit-events "$AUDIT_EVENTS") >&2
  (cd "$dir" && printf '%s\n' "$PASSWORD" | env -i PATH="$PATH" DATABASE_URL="$url" SECRET_KEY="$secret" \
    "$MOTTO" seed --users 19 --documents 50 --revisions 1 --conversations 2 --messages 4 --audit-events 0) >&2

  if [[ "$url" == postgres* ]]; then
    # Steady state: autovacuum would have vacuumed the fresh rows by now.
    psql -q "$url" -c "VACUUM ANALYZE" >/dev/null
  fi

  local port; port="$(free_port)"
  (cd "$dir" && exec env -i PATH="$PATH" "${vars[@]}" LISTEN_ADDR="127.0.0.1:$port" "$MOTTO" serve >"$dir/motto.log" 2>&1) &
  local pid=$!; PIDS+=("$pid")
  wait_up "$port"
  # the `serve` process is the child of the subshell's exec: same pid
  local login_form="login=seed-user-1&password=${PASSWORD// /+}"
  local cookie; cookie="$(curl -sS -D - -o /dev/null -X POST --data "$login_form" "http://127.0.0.1:$port/api/login" \
    | awk 'tolower($1) == "set-cookie:" { sub(/;.*/, "", $2); printf "%s%s", sep, $2; sep="; " }')"
  local admin; admin="$(curl -sS -D - -o /dev/null -X POST --data "login=seed-admin&password=${PASSWORD// /+}" "http://127.0.0.1:$port/api/login" \
    | awk 'tolower($1) == "set-cookie:" { sub(/;.*/, "", $2); printf "%s%s", sep, $2; sep="; " }')"
  local token; token="$(curl -sS -X POST -H 'content-type: application/json' \
    --data "{\"username\":\"seed-user-1\",\"password\":\"$PASSWORD\"}" "http://127.0.0.1:$port/api/v1/auth/token" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
  curl -fsS -H "Cookie: $cookie" "http://127.0.0.1:$port/documents?per_page=50" | grep -q "Page 1 of" \
    || { echo "the documents page did not render for the signed-in account" >&2; exit 1; }
  local word; word="$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/documents?per_page=1" \
    | python3 -c 'import json,sys; t=json.load(sys.stdin)["items"][0]["title"]; print(max(t.split(), key=len).lower())')"
  local uid; uid="$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
  sleep 2
  local idle; idle="$(kb_of "$pid" VmRSS)"

  # Warm up, then measure.
  run_wrk "$port" "/documents?per_page=50" 8 3 "Cookie: $cookie" >/dev/null
  if [[ $TEAMS == 1 ]]; then
    VARS=("${vars[@]}")
    bench_teams "$backend" "$url" "$dir" "$pid" "$port" "$cookie" "$word" "$secret"
    return
  fi
  scenario "documents page, 50 rows" "$backend" "$pid" "$port" "/documents?per_page=50" "$CONNS" "Cookie: $cookie"
  local motto_rps=$LAST_RPS
  scenario "document search (\`$word\`)" "$backend" "$pid" "$port" "/documents?q=$word" "$CONNS" "Cookie: $cookie"
  scenario "admin audit page, action \`auth.\` + outcome failure, $AUDIT_EVENTS events" "$backend" "$pid" "$port" \
    "/admin/audit?action=auth.&outcome=failure" "$CONNS" "Cookie: $admin"
  scenario "REST \`GET /api/v1/documents?per_page=50\`" "$backend" "$pid" "$port" "/api/v1/documents?per_page=50" "$CONNS" \
    "Authorization: Bearer $token"

  # Page latency alone, then during a login flood (16 connections logging in).
  scenario "documents page, 4 connections, idle" "$backend" "$pid" "$port" "/documents?per_page=50" 4 "Cookie: $cookie"
  local idle_p99=$LAST_P99
  WRK_METHOD=POST WRK_BODY="login=seed-user-2&password=${PASSWORD// /+}" \
    wrk -t1 -c16 -d"$((SECONDS_PER + 4))s" --timeout 20s -s bench/report.lua "http://127.0.0.1:$port/api/login" \
    >"$dir/flood.txt" 2>&1 &
  local flood=$!
  sleep 2
  scenario "documents page, 4 connections, during a login flood" "$backend" "$pid" "$port" "/documents?per_page=50" 4 "Cookie: $cookie"
  local flood_p99=$LAST_P99
  wait "$flood" || true
  read -r f_rps f_p50 f_p95 f_p99 f_err _ <<<"$(awk '/^RESULT/ { print $2, $3, $4, $5, $6 }' "$dir/flood.txt")"
  row "| $backend | the login flood itself (POST /api/login, 16 connections) | $f_rps | $f_p50 | $f_p95 | $f_p99 | $f_err | |"
  kill "$pid"; wait "$pid" 2>/dev/null || true

  # The baseline on the same database.
  local bport; bport="$(free_port)"
  "$BASELINE" "127.0.0.1:$bport" "$url" >"$dir/baseline.log" 2>&1 &
  local bpid=$!; PIDS+=("$bpid")
  wait_up "$bport"
  run_wrk "$bport" "/documents?per_page=50" 8 3 "Cookie: uid=$uid" >/dev/null
  scenario "baseline (axum + sqlx + String), documents page, 50 rows" "$backend" "$bpid" "$bport" "/documents?per_page=50" "$CONNS" "Cookie: uid=$uid"
  local base_rps=$LAST_RPS
  kill "$bpid"; wait "$bpid" 2>/dev/null || true

  SUMMARY+=("| $backend | $(awk -v a="$motto_rps" -v b="$base_rps" 'BEGIN { printf "%.2f", a / b }')x | $(awk -v a="$flood_p99" -v b="$idle_p99" 'BEGIN { printf "%.2f", a / b }')x | $(mb "$idle") MB |")
}

# The same account's documents page and search, alone and then as a member of
# MEMBER_OF of SPACES shared spaces holding SHARED_DOCS documents.
bench_teams() {
  local backend=$1 url=$2 dir=$3 pid=$4 port=$5 cookie=$6 word=$7 secret=$8
  scenario "documents page, 50 rows: one owner, $DOCS documents" "$backend" "$pid" "$port" "/documents?per_page=50" "$CONNS" "Cookie: $cookie"
  scenario "document search (\`$word\`): one owner" "$backend" "$pid" "$port" "/documents?q=$word" "$CONNS" "Cookie: $cookie"
  log "$backend: seeding $SPACES shared spaces, $GROUPS_N groups, $SHARED_DOCS documents; seed-user-1 in $MEMBER_OF spaces"
  (cd "$dir" && printf '%s\n' "$PASSWORD" | env -i PATH="$PATH" DATABASE_URL="$url" SECRET_KEY="$secret" \
    "$MOTTO" seed --users 19 --documents 0 --revisions 0 --conversations 0 --messages 0 --audit-events 0 \
      --spaces "$SPACES" --groups "$GROUPS_N" --shared-documents "$SHARED_DOCS" --member-of "$MEMBER_OF") >&2
  if [[ "$url" == postgres* ]]; then
    psql -q "$url" -c "VACUUM ANALYZE" >/dev/null
  fi
  # A running server's SQLite connections keep the planner statistics they
  # loaded (until the pool recycles them, within 30 minutes): start it again,
  # as after a restore, so it plans with the new data's statistics.
  kill "$pid"; wait "$pid" 2>/dev/null || true
  (cd "$dir" && exec env -i PATH="$PATH" "${VARS[@]}" LISTEN_ADDR="127.0.0.1:$port" "$MOTTO" serve >>"$dir/motto.log" 2>&1) &
  pid=$!; PIDS+=("$pid")
  wait_up "$port"
  cookie="$(curl -sS -D - -o /dev/null -X POST --data "login=seed-user-1&password=${PASSWORD// /+}" "http://127.0.0.1:$port/api/login" \
    | awk 'tolower($1) == "set-cookie:" { sub(/;.*/, "", $2); printf "%s%s", sep, $2; sep="; " }')"
  local total; total="$(curl -fsS -H "Cookie: $cookie" "http://127.0.0.1:$port/documents?per_page=50" | grep -o 'Page 1 of [0-9]* · [0-9,]* documents' | head -n1)"
  log "$backend: the measured account now sees: $total"
  run_wrk "$port" "/documents?per_page=50" 8 3 "Cookie: $cookie" >/dev/null
  local shared="member of $MEMBER_OF of $SPACES spaces, $SHARED_DOCS shared documents"
  scenario "documents page, 50 rows: $shared" "$backend" "$pid" "$port" "/documents?per_page=50" "$CONNS" "Cookie: $cookie"
  scenario "document search (\`$word\`): $shared" "$backend" "$pid" "$port" "/documents?q=$word" "$CONNS" "Cookie: $cookie"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

SUMMARY=()
VARS=()
bench_backend SQLite "sqlite://$WORK/SQLite/motto.db"
if [[ $WITH_PG == 1 ]]; then
  # shellcheck source=scripts/postgres.sh
  source scripts/postgres.sh
  ensure_postgres
  PG_ADMIN="$TEST_DATABASE_URL"
  PG_DB="motto_bench_$(date +%s)"
  psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB" >/dev/null
  bench_backend PostgreSQL "${PG_ADMIN%/*}/$PG_DB"
fi

cat <<REPORT

## Load ($(date -u +%Y-%m-%d), \`bench/run.sh\`)

Machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"); release build; wrk on the same machine, 2 threads, $CONNS connections unless said, ${SECONDS_PER} s per scenario.

| backend | scenario | req/s | p50 ms | p95 ms | p99 ms | errors | peak RSS MB |
|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")

$(if ((${#SUMMARY[@]})); then
  printf '| backend | documents page vs baseline (throughput) | page p99 in a login flood vs idle | RSS idle |\n|---|---|---|---|\n'
  printf '%s\n' "${SUMMARY[@]}"
fi)

WASM bundle: $(awk -v b="$WASM_RAW" 'BEGIN { printf "%.0f", b / 1024 }') KB, $(awk -v b="$WASM_BR" 'BEGIN { printf "%.0f", b / 1024 }') KB with brotli -q 11.
REPORT
