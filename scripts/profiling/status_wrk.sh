#!/usr/bin/env bash
# GET /queue/status driven by wrk (C: a client that does not run out of CPU before the server
# does, unlike the rush's Python one), as many fans in turn, on a PostgreSQL + Redis deployment
# of this tree with the benchmark's settings (2 workers; scripts/profiling/deployment.sh), and
# GET /healthz for reference: req/s and the workers' CPU per request.
#
#   scripts/profiling/status_wrk.sh                 4,000 fans, 2 workers
#   FANS=8000 WORKERS=1 scripts/profiling/status_wrk.sh
#
# The line lets one fan in (max_active 1), so every other fan polls a WAITING pass, the common
# poll of a sale. Each poll is paced as the benchmark's are (1 % of the advised interval: here
# 0.3 s, as the line barely moves), so a fan's turn must come round slower than that: a run
# with answers other than 2xx (429s) needs more FANS. Two 10 s runs after a 3 s warm-up, each.
# Needs wrk (apt-get install wrk), PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and
# Redis on 127.0.0.1:6379 (database 11: only this deployment's room is deleted after). Files in
# var/status-wrk/<time>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }
BIN=$PWD/.venv/bin
FANS=${FANS:-4000} WORKERS=${WORKERS:-2}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$PWD/var/status-wrk/$STAMP
PORT=18291
. scripts/profiling/deployment.sh
start_deployment "$OUT" "status_wrk_$STAMP" "$PORT" "$WORKERS" 11 "$BIN"
URL=http://127.0.0.1:$PORT
curl -sf -X PUT -H "X-Admin-Key: $ADMIN_KEY" -H 'Content-Type: application/json' \
  -d '{"max_active": 1}' "$URL/api/v1/admin/queue" >/dev/null
"$BIN/python" scripts/profiling/status_fans.py "$URL" "$FANS" "$OUT/fans.lua"

ticks() {  # CPU clock ticks of the workers (and the supervisor) so far
  local total=0 pid
  for pid in $(printf '%s\n' "$SERVER" $WORKER_PIDS | sort -u); do  # one worker: the server
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
measure() {  # $1 label, then wrk's arguments
  local label=$1 run before after output requests
  shift
  wrk -t1 -c64 -d3s "$@" >/dev/null
  for run in 1 2; do
    before=$(ticks)
    output=$(wrk -t1 -c64 -d10s "$@")
    after=$(ticks)
    requests=$(awk '/requests in/ {print $1}' <<<"$output")
    printf '%-18s run %s: %8s req/s, %4s µs of worker CPU a request, non-2xx: %s\n' "$label" \
      "$run" "$(awk '/Requests\/sec/ {print $2}' <<<"$output")" \
      "$(((after - before) * 1000000 / $(getconf CLK_TCK) / requests))" \
      "$(awk '/Non-2xx/ {print $NF}' <<<"$output" | grep . || echo 0)"
  done
}
measure "GET /healthz" "$URL/healthz"
measure "GET /queue/status" -s "$OUT/fans.lua" "$URL"
