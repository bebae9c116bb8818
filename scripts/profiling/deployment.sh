# shellcheck shell=bash
# Sourced by scripts/profile-endpoints, scripts/profiling/sale_cpu.sh and status_wrk.sh: a
# PostgreSQL + Redis deployment of their own on this machine, with the settings scripts/bench
# gives its servers, stopped and its database and room dropped when the script exits.
#
#   start_deployment OUT NAME PORT WORKERS REDIS_DB SERVER_BIN
#
# OUT: a folder for server.env and the logs; NAME: the database and room; SERVER_BIN: the
# `.venv/bin` whose `boxoffice` migrates and serves (another commit's, from a clone of it).
# Sets ADMIN_KEY, SERVER (the server's process group) and WORKER_PIDS (space-separated).
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379.

_deployment_secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }

_deployment_stop() {
  [[ -n ${SERVER:-} ]] && kill -TERM -- "-$SERVER" 2>/dev/null && sleep 2
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $_DEPLOYMENT_DB" >/dev/null 2>&1 ||
    true
  redis-cli -n "$_DEPLOYMENT_REDIS" --scan --pattern "*{$_DEPLOYMENT_DB}*" |
    xargs -r redis-cli -n "$_DEPLOYMENT_REDIS" del >/dev/null || true
}

start_deployment() {
  local out=$1 port=$3 workers=$4 bin=$6
  _DEPLOYMENT_DB=$(echo "$2" | tr '[:upper:]' '[:lower:]')
  _DEPLOYMENT_REDIS=$5
  ADMIN_KEY=$(_deployment_secret)
  mkdir -p "$out/data"
  {
    echo "BOXOFFICE_DATA_DIR=$out/data"
    echo "BOXOFFICE_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/$_DEPLOYMENT_DB"
    echo "BOXOFFICE_REDIS_URL=redis://127.0.0.1:6379/$_DEPLOYMENT_REDIS"
    echo "BOXOFFICE_QUEUE_ROOM=$_DEPLOYMENT_DB"
    echo "BOXOFFICE_ADMIN_KEY=$ADMIN_KEY"
    echo "BOXOFFICE_SECRET_KEY=$(_deployment_secret)"
    # As scripts/bench sets them, for the same reasons (see docs/benchmarks.md).
    echo "BOXOFFICE_PASSWORD_TIME_COST=1"
    echo "BOXOFFICE_PASSWORD_MEMORY_KIB=64"
    echo "BOXOFFICE_QUEUE_LIMIT_PER_IP=0"
    echo "BOXOFFICE_SIGNUP_LIMIT_PER_IP=0"
    echo "BOXOFFICE_LOGIN_LIMIT_PER_IP=0"
    echo "BOXOFFICE_POLL_PACE_RATIO=0.01"
    echo "BOXOFFICE_STATUS_LIMIT_PER_ACCOUNT=1000000"
    echo "BOXOFFICE_JOIN_LIMIT_PER_ACCOUNT=1000000"
  } >"$out/server.env"
  chmod 600 "$out/server.env"
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $_DEPLOYMENT_DB" >/dev/null
  SERVER=
  trap _deployment_stop EXIT
  (set -a; . "$out/server.env"; set +a; "$bin/boxoffice" migrate) >"$out/migrate.log" 2>&1
  setsid bash -c 'set -a; . "$1"; set +a; exec "$2" serve --port "$3" --workers "$4"' \
    _ "$out/server.env" "$bin/boxoffice" "$port" "$workers" >"$out/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 120); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ((workers == 1)); then
    WORKER_PIDS=$SERVER
  else
    WORKER_PIDS=$(pgrep -f spawn_main -P "$SERVER" | paste -sd' ')
  fi
}
