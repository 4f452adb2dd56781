#!/usr/bin/env bash
# bench/idle_rss.sh BINARY [STARTS]: the idle RSS of an idp-server binary on
# SQLite (issue 15: the cost of the `postgres` feature for SQLite users).
# Starts BINARY STARTS times (5) on one SQLite database in a temporary
# directory (created by a first, unmeasured start), reads VmRSS from
# /proc/PID/status 2 s after the first /health 200, stops it, and prints
# one JSON line: file size, .text size, every sample and the median (KiB).
set -euo pipefail
BIN=$1
STARTS=${2:-5}
HELPER="python3 $(cd "$(dirname "$0")" && pwd)/helper.py"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/idp-rss.XXXXXX")
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite:$WORK/idp.db" SERVER_HOST=127.0.0.1 SERVER_PORT=$PORT
export BASE_URL="http://127.0.0.1:$PORT"
unset ENCRYPTION_KEY
samples=()
for i in $(seq 0 "$STARTS"); do
    PID=$($HELPER start "$BASE_URL/health" "$WORK/server.log" "$BIN" serve | $HELPER field pid)
    sleep 2
    rss=$($HELPER rss "$PID" | $HELPER field rss_kib)
    kill "$PID"
    while kill -0 "$PID" 2>/dev/null; do sleep 0.1; done
    PID=""
    [ "$i" -gt 0 ] && samples+=("$rss") # the first start creates the database
done
text=$(size -A "$BIN" | awk '$1 == ".text" {print $2}')
python3 -c '
import json, statistics, sys
s = [int(x) for x in sys.argv[4:]]
print(json.dumps({"binary": sys.argv[1], "file_bytes": int(sys.argv[2]), "text_bytes": int(sys.argv[3]),
                  "idle_rss_kib": s, "median_kib": statistics.median(s)}))
' "$BIN" "$(stat -c %s "$BIN")" "$text" "${samples[@]}"
