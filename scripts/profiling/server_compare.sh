#!/usr/bin/env bash
# The same apps under uvicorn (as `boxoffice serve` runs it) and under granian, 2 workers each,
# driven by wrk (C: a client that does not run out of CPU before the server does).
#
#   scripts/profiling/server_compare.sh
#
# Serves, one at a time on free ports: the bare app doing nothing and the one doing one Redis
# round trip (boxoffice/bare.py), and boxoffice's GET /healthz, on PostgreSQL + Redis (a database
# of its own, created and dropped here; Redis db 13, its room's keys deleted after). Prints req/s
# of two 10 s runs after a 4 s warm-up, each. Needs wrk (apt-get install wrk); granian is
# installed into var/granian (not a dependency of the project: a candidate being measured).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
GRANIAN=var/granian
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }
[[ -d $GRANIAN/granian ]] || "$BIN/pip" install -q --target "$GRANIAN" granian
DB=server_compare_$$
export BOXOFFICE_DATA_DIR=$(mktemp -d) BOXOFFICE_LOG_LEVEL=WARNING
export BOXOFFICE_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/$DB
export BOXOFFICE_REDIS_URL=redis://127.0.0.1:6379/13 BOXOFFICE_QUEUE_ROOM=$DB
BOXOFFICE_SECRET_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
BOXOFFICE_ADMIN_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
export BOXOFFICE_SECRET_KEY BOXOFFICE_ADMIN_KEY
PORT=$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SERVER=""
cleanup() {
  [[ -n $SERVER ]] && stop "$SERVER"
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  redis-cli -n 13 --scan --pattern "bx:{$DB}:*" | xargs -r redis-cli -n 13 del >/dev/null || true
}
trap cleanup EXIT
stop() { kill -TERM -- "-$1" 2>/dev/null || true; sleep 2; kill -KILL -- "-$1" 2>/dev/null || true; sleep 1; }
measure() {  # $1 label, $2 path
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT$2" >/dev/null 2>&1 && break; sleep 0.5; done
  wrk -t1 -c64 -d4s "http://127.0.0.1:$PORT$2" >/dev/null
  for run in 1 2; do
    printf '%-28s run %s: %s req/s\n' "$1" "$run" \
      "$(wrk -t1 -c64 -d10s "http://127.0.0.1:$PORT$2" | awk '/Requests\/sec/ {print $2}')"
  done
  stop "$SERVER"; SERVER=""
}
uvicorn() { setsid "$BIN/boxoffice" "$@" --port "$PORT" --workers 2 >/dev/null 2>&1 & SERVER=$!; }
granian() {
  setsid env PYTHONPATH="$GRANIAN" "$BIN/python" -m granian --interface asgi --factory \
    --workers 2 --loop uvloop --no-ws --log-level warning --port "$PORT" "$1" >/dev/null 2>&1 &
  SERVER=$!
}
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $DB"
"$BIN/boxoffice" migrate >/dev/null
for kind in nothing redis; do
  export BOXOFFICE_BARE_APP=$kind
  uvicorn serve-bare "$kind"; measure "bare $kind, uvicorn" /
  granian boxoffice.bare:create_app; measure "bare $kind, granian" /
done
uvicorn serve; measure "boxoffice /healthz, uvicorn" /healthz
granian boxoffice.app:create_served_app; measure "boxoffice /healthz, granian" /healthz
