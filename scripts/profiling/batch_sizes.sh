#!/usr/bin/env bash
# How many calls the batches of a rush's endpoint windows carry: a PostgreSQL + Redis deployment
# of this tree with the benchmark's settings (scripts/profiling/deployment.sh), each hot
# endpoint driven alone as scripts/profile-endpoints drives it (`boxoffice rush --ceiling
# --endpoints`, 64 connections, no sampler), and the report's calls a batch in each step
# (bx_hold, bx_settle and the Redis script pipelines, read by the rush from the servers'
# /metrics: boxoffice_rush/batches.py) beside the endpoints' rows against their bare apps.
#
#   scripts/profiling/batch_sizes.sh              2 workers
#   WORKERS=1 scripts/profiling/batch_sizes.sh
#
# A statement's work a call falls as its batches grow (one statement, one commit, one driver
# round trip per batch), so the CPU a hold or payment costs depends on how many arrive together:
# fewer per process with more workers. Needs PostgreSQL on 127.0.0.1:5432 (user postgres,
# trust) and Redis on 127.0.0.1:6379 (database 14: only this deployment's room is deleted
# after). Files in var/batch-sizes/<time>/; about 6 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$PWD/.venv/bin
WORKERS=${WORKERS:-2}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$PWD/var/batch-sizes/$STAMP
PORT=18292
. scripts/profiling/deployment.sh
start_deployment "$OUT" "batch_sizes_$STAMP" "$PORT" "$WORKERS" 14 "$BIN"
URL=http://127.0.0.1:$PORT
"$BIN/boxoffice" rush --url "$URL" --admin-key "$ADMIN_KEY" --dates 1 --seats 200 --fans 10 \
  --concurrency 10 --ceiling --ceiling-seconds 5 --ceiling-workers "$WORKERS" --endpoints \
  --endpoint-seconds 6 --no-progress --audit-env-file "$OUT/server.env" --output-dir "$OUT" \
  >"$OUT/rush.out" 2>"$OUT/rush.err" || echo "the rush exited $? (see $OUT/rush.err)" >&2
echo "== calls a batch in each step, $WORKERS worker(s) (files in $OUT)"
sed -n '/^| endpoint alone | calls a batch |/,/^$/p' "$OUT/rush.md"
echo "== the endpoints against their bare apps"
grep -E '^\| (GET|POST) [^|]+\| [0-9,]+ \| [0-9,]+ \|' "$OUT/rush.md" || true
