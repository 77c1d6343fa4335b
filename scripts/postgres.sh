# Sourced by scripts/test.sh. Finds a PostgreSQL server for the tests and exports
# TEST_DATABASE_URL:
#   1. the one TEST_DATABASE_URL already names;
#   2. else the machine's own server on 127.0.0.1:5432 (user postgres, trust auth);
#   3. else a throwaway cluster from Debian's postgresql package, on a free port,
#      stopped (and deleted) when the test command exits.

pg_log() { printf '\033[1;34m[postgres]\033[0m %s\n' "$*" >&2; }

port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

MOTTO_PG_TMP=""
stop_throwaway_postgres() {
  if [[ -n "$MOTTO_PG_TMP" && -d "$MOTTO_PG_TMP/data" ]]; then
    pg_log "stopping the throwaway cluster"
    as_pg_user "$PG_BIN/pg_ctl" -D "$MOTTO_PG_TMP/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$MOTTO_PG_TMP"
  fi
}

as_pg_user() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ensure_postgres() {
  if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
    pg_log "using TEST_DATABASE_URL"
  elif port_answers 5432; then
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
    pg_log "using the local server on 127.0.0.1:5432"
  else
    if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
      pg_log "installing Debian's postgresql package"
      local sudo=""; [[ "$(id -u)" != 0 ]] && sudo="sudo"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    fi
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
    MOTTO_PG_TMP="$(mktemp -d /tmp/motto-pg.XXXXXX)"
    chmod 755 "$MOTTO_PG_TMP"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$MOTTO_PG_TMP"
    local port; port="$(free_port)"
    pg_log "starting a throwaway cluster on 127.0.0.1:$port"
    as_pg_user "$PG_BIN/initdb" -D "$MOTTO_PG_TMP/data" -A trust -U postgres >/dev/null
    as_pg_user "$PG_BIN/pg_ctl" -D "$MOTTO_PG_TMP/data" -l "$MOTTO_PG_TMP/server.log" -w \
      -o "-k $MOTTO_PG_TMP -p $port -c listen_addresses=127.0.0.1" start >/dev/null
    trap stop_throwaway_postgres EXIT
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  fi
}

# Redis for the shared rate-limit store tests: exports TEST_REDIS_URL
#   1. as already set; 2. else the machine's own on 127.0.0.1:6379; 3. else a
#   throwaway redis-server from Debian's package on a free port, stopped when the
#   test command exits.
MOTTO_REDIS_PID=""
stop_throwaway_redis() {
  if [[ -n "$MOTTO_REDIS_PID" ]]; then
    kill "$MOTTO_REDIS_PID" 2>/dev/null || true
    MOTTO_REDIS_PID=""
  fi
}

ensure_redis() {
  if [[ -n "${TEST_REDIS_URL:-}" ]]; then
    pg_log "using TEST_REDIS_URL"
  elif port_answers 6379; then
    export TEST_REDIS_URL="redis://127.0.0.1:6379"
    pg_log "using the local Redis on 127.0.0.1:6379"
  else
    if ! command -v redis-server >/dev/null; then
      pg_log "installing Debian's redis-server package"
      local sudo=""; [[ "$(id -u)" != 0 ]] && sudo="sudo"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
    fi
    local port; port="$(free_port)"
    pg_log "starting a throwaway Redis on 127.0.0.1:$port"
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize no >/dev/null 2>&1 &
    MOTTO_REDIS_PID=$!
    trap 'stop_throwaway_postgres; stop_throwaway_redis' EXIT
    for _ in $(seq 50); do port_answers "$port" && break; sleep 0.1; done
    export TEST_REDIS_URL="redis://127.0.0.1:$port"
  fi
}
