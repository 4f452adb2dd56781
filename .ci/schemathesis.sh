#!/usr/bin/env bash
# Property-based tests of the admin API against its own OpenAPI document
# (schemathesis, from PyPI, pinned): starts the debug `idp-server` on a
# temporary SQLite database and a free loopback port, creates a tenant
# (`acme`, the slug of the document's examples) and a full-access API key
# with the CLI, lets schemathesis generate requests for every operation
# (a bounded number per operation: SCHEMATHESIS_EXAMPLES, default 20) and
# check that none is a server error and every response conforms to the
# document (status, media type, body schema). Exits with schemathesis'
# status.
#
# API_KEY_CREATE overrides the command that prints the key as JSON
# (`{"key": "…"}`); it runs with DATABASE_URL and ENCRYPTION_KEY set.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
VENV="$TARGET/schemathesis-venv"
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build -q -p idp-server --bin idp-server
BIN="$TARGET/debug/idp-server"

WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DATABASE_URL="sqlite:$WORK/idp.db"
export ENCRYPTION_KEY="5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c"
export SERVER_HOST=127.0.0.1 SERVER_PORT="$PORT" BASE_URL="http://127.0.0.1:$PORT"
export RATE_LIMIT_ADMIN_API=0
"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
stop() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap stop EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$BASE_URL/health/ready" 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.2
done

"$BIN" tenant create acme --name Acme --json >/dev/null
KEY="$(${API_KEY_CREATE:-"$BIN" api-key create --name schemathesis --json} |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')"

# Run from the temporary directory: schemathesis keeps a cache in ./.schemathesis.
set +e
(cd "$WORK" && "$VENV/bin/schemathesis" run "$BASE_URL/api/v1/openapi.json" \
  --url "$BASE_URL" \
  --header "Authorization: Bearer $KEY" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-20}" \
  --seed "${SCHEMATHESIS_SEED:-1}" \
  --workers 1 \
  --generation-database none \
  --no-color \
  --report-dir "$WORK/report" \
  "$@")
STATUS=$?
set -e
if [ "$STATUS" -ne 0 ] && grep -q "ERROR\|panicked" "$WORK/server.log"; then
  echo "--- server log (errors) ---"
  grep "ERROR\|panicked" "$WORK/server.log" | tail -n 40
fi
exit "$STATUS"
