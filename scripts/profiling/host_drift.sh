#!/usr/bin/env bash
# How this host's speed drifts: one unchanging server measured again and again.
#
#   scripts/profiling/host_drift.sh [RUNS] [GAP_SECONDS]
#
# Serves the bare app doing one Redis round trip (boxoffice/bare.py, Redis db 13, which it only
# reads) under uvicorn with 2 workers on a free port and drives it with wrk (64 connections, one
# thread) for 5 s, RUNS times (default 15), GAP_SECONDS apart (default 15), after a 3 s warm-up;
# prints the time and req/s of each run, then their spread. Nothing changes between runs but the
# host: the spread is what a ratio of two rates measured that far apart can be off by.
# Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
RUNS=${1:-15}
GAP=${2:-15}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }
export BOXOFFICE_DATA_DIR=$(mktemp -d) BOXOFFICE_LOG_LEVEL=WARNING
export BOXOFFICE_REDIS_URL=redis://127.0.0.1:6379/13
PORT=$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid "$BIN/boxoffice" serve-bare redis --port "$PORT" --workers 2 >/dev/null 2>&1 &
SERVER=$!
trap 'kill -TERM -- "-$SERVER" 2>/dev/null || true; rm -rf "$BOXOFFICE_DATA_DIR"' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break; sleep 0.5; done
wrk -t1 -c64 -d3s "http://127.0.0.1:$PORT/" >/dev/null
RATES=()
for run in $(seq "$RUNS"); do
  rate=$(wrk -t1 -c64 -d5s "http://127.0.0.1:$PORT/" | awk '/Requests\/sec/ {print $2}')
  RATES+=("$rate")
  printf '%s run %2d: %s req/s\n' "$(date -u +%T)" "$run" "$rate"
  [[ $run -lt $RUNS ]] && sleep "$GAP"
done
printf '%s\n' "${RATES[@]}" | "$BIN/python" -c '
import statistics, sys
rates = [float(line) for line in sys.stdin if line.strip()]
mean = statistics.fmean(rates)
print(f"min {min(rates):,.0f}  max {max(rates):,.0f}  mean {mean:,.0f}  "
      f"max/min {max(rates) / min(rates):.2f}  stdev {statistics.pstdev(rates) / mean:.1%} of the mean")
'
