#!/usr/bin/env bash
# One sale, server CPU per ticket: a PostgreSQL + Redis deployment (2 workers) of any commit,
# driven by this tree's `boxoffice rush` (so two commits' servers meet the same client).
#
#   scripts/profiling/sale_cpu.sh                      this tree's server
#   SERVER_BIN=/tmp/old/.venv/bin scripts/profiling/sale_cpu.sh
#                                                      another commit's server, from a clone of
#                                                      it with its own `make install`
#   PROFILE_SECONDS=20 scripts/profiling/sale_cpu.sh   also py-spy on both workers for 20 s from
#                                                      the first join (sale.<pid>.txt, read with
#                                                      scripts/profiling/summary.py)
#
# Size by DATES, SEATS, FANS, MAX_ACTIVE (default 2 x 2,500 seats to 6,250 fans, 500 active:
# the issue's ratio of fans to seats, about a minute with setup). Settings as scripts/bench sets
# them. No audit: an older commit's schema may lack what this tree's audit reads. Needs
# PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379 (database 12:
# only the sale's own room is deleted after). Reports in var/sale-cpu/<time>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$PWD/.venv/bin
SERVER_BIN=${SERVER_BIN:-$BIN}
DATES=${DATES:-2} SEATS=${SEATS:-2500} FANS=${FANS:-6250} MAX_ACTIVE=${MAX_ACTIVE:-500}
PROFILE_SECONDS=${PROFILE_SECONDS:-0}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$PWD/var/sale-cpu/$STAMP
PORT=18290
. scripts/profiling/deployment.sh
start_deployment "$OUT" "sale_cpu_$STAMP" "$PORT" 2 12 "$SERVER_BIN"
WATCH=
if ((PROFILE_SECONDS > 0)); then
  (
    # The sale opens with the first join: setup (sign-ups, top-ups) is not sampled.
    until curl -sf -H "X-Admin-Key: $ADMIN_KEY" "http://127.0.0.1:$PORT/api/v1/admin/queue" |
      grep -q '"waiting":[1-9]\|"active":[1-9]'; do sleep 0.2; done
    for pid in $WORKER_PIDS; do
      "$BIN/py-spy" record -r 200 -d "$PROFILE_SECONDS" -f raw -o "$OUT/sale.$pid.txt" \
        -p "$pid" >/dev/null 2>&1 &
    done
    wait
  ) &
  WATCH=$!
fi
"$BIN/boxoffice" rush --url "http://127.0.0.1:$PORT" --admin-key "$ADMIN_KEY" \
  --dates "$DATES" --seats "$SEATS" --fans "$FANS" --concurrency "$FANS" \
  --max-active "$MAX_ACTIVE" --admit-per-minute 30000 --duration 300 --setup-timeout 900 \
  --seed 1 --no-progress --no-audit --output-dir "$OUT" >"$OUT/rush.out" 2>"$OUT/rush.err" || true
[[ -n $WATCH ]] && wait "$WATCH"
echo "== $OUT/rush.md"
grep -E "tickets/s sustained|requests \(all|server CPU per" "$OUT/rush.md"
