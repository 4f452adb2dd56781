#!/usr/bin/env bash
# bench/run.sh — the load benchmark of issue 5 (see BENCHMARKS.md).
#
# Builds and starts the release idp-server on loopback over a fresh SQLite
# database, provisions a tenant, clients and a user through the CLI, seeds
# 1,000 users, measures every endpoint for BENCH_SECS seconds each, seeds up
# to 1,000,000 users and 100,000 clients and measures again, then runs the
# same client-credentials, introspection, discovery and JWKS loads against
# oidc-provider, and prints the tables of BENCHMARKS.md.
#
# Tools: oha (`cargo install oha --locked` into bench/.tools) for requests
# that can repeat; bench/driver (`idp-bench`, built from this workspace) for
# requests with single-use inputs (codes, refresh tokens, login pages) and
# for the same-core signing and argon2id baselines; oidc-provider from npm
# into bench/.peer. Both servers run pinned to core $BENCH_SERVER_CPU (0),
# every load generator to core $BENCH_LOAD_CPU (1).
#
# Environment: BENCH_SECS (10), BENCH_CONCURRENCY (32), BENCH_USERS
# (1000000), BENCH_CLIENTS (100000), BENCH_CODES (12000; codes live 60 s), BENCH_SKIP_LARGE=1,
# BENCH_SKIP_PEER=1, BENCH_NO_BUILD=1 (use the binaries in target/release). Results: bench/results/latest.jsonl and latest.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
SECS=${BENCH_SECS:-10}
CONC=${BENCH_CONCURRENCY:-32}
USERS=${BENCH_USERS:-1000000}
CLIENTS=${BENCH_CLIENTS:-100000}
CODES=${BENCH_CODES:-12000}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
TOOLS=$BENCH/.tools
PEER_DIR=$BENCH/.peer
OHA=$TOOLS/bin/oha
DRIVER=$ROOT/target/release/idp-bench
IDP=$ROOT/target/release/idp-server
HELPER="python3 $BENCH/helper.py"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/idp-bench.XXXXXX")
OUT=$BENCH/results
RESULTS=$OUT/latest.jsonl
SERVER_PID=""

cleanup() {
    if [ -n "$SERVER_PID" ]; then
        stop_server
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*" >&2; }
on_load_cpu() { taskset -c "$LOAD_CPU" "$@"; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- tools -------------------------------------------------------------------
say "tools"
if [ ! -x "$OHA" ]; then
    cargo install oha --locked --root "$TOOLS"
fi
"$OHA" --version >&2
if [ ! -d "$PEER_DIR/node_modules/oidc-provider" ]; then
    mkdir -p "$PEER_DIR"
    (cd "$PEER_DIR" && npm install --no-audit --no-fund --silent oidc-provider@8.8.1)
fi
cp "$BENCH/peer.mjs" "$PEER_DIR/peer.mjs"
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    (cd "$ROOT" && cargo build --release -p idp-server -p idp-bench)
fi

mkdir -p "$OUT"
: > "$RESULTS"
record() { $HELPER tag "$@" | tee -a "$RESULTS" >&2; }

# --- the machine ---------------------------------------------------------------
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo "memory: $(free -m | awk '/Mem:/ {print $2}') MiB"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "settings: ${SECS}s per load, concurrency $CONC, server on core $SERVER_CPU, load on core $LOAD_CPU"
} | tee "$OUT/latest.machine" >&2

# --- baselines -----------------------------------------------------------------
say "bare cryptography on core $SERVER_CPU"
for alg in RS256 ES256 EdDSA; do
    taskset -c "$SERVER_CPU" "$DRIVER" sign-rate --alg "$alg" --secs 3 | record kind=baseline
done
taskset -c "$SERVER_CPU" "$DRIVER" hash-rate --secs 3 | record kind=baseline

# --- provisioning ----------------------------------------------------------------
PORT=$(free_port)
export DATABASE_URL="sqlite:$WORK/idp.db"
export ENCRYPTION_KEY
ENCRYPTION_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export BASE_URL="http://127.0.0.1:$PORT"
export SERVER_HOST=127.0.0.1 SERVER_PORT=$PORT
# The server logs at its default level (info: one line per request) into
# $WORK/server.log, as deployed; set LOG_LEVEL=warn to measure without.
ISSUER="$BASE_URL/t/bench"

say "provisioning through the CLI"
"$IDP" tenant create bench --name Bench >&2
CC=$("$IDP" client create --tenant bench --name cc --grant-type client_credentials --scope api --json)
CC_ID=$(echo "$CC" | $HELPER field client_id)
CC_SECRET=$(echo "$CC" | $HELPER field client_secret)
REDIRECT="http://127.0.0.1:9/cb"
WEB=$("$IDP" client create --tenant bench --name web --redirect-uri "$REDIRECT" \
    --grant-type authorization_code --grant-type refresh_token --no-pkce --json)
WEB_ID=$(echo "$WEB" | $HELPER field client_id)
WEB_SECRET=$(echo "$WEB" | $HELPER field client_secret)
printf 'bench-password' | "$IDP" user create --tenant bench --email bench@bench.test --password-stdin >&2
"$DRIVER" seed --database "$DATABASE_URL" --tenant bench --users 999 --clients 98 --prefix small | record kind=seed phase=small
CC_BASIC="Basic $(printf '%s:%s' "$CC_ID" "$CC_SECRET" | base64 -w0)"
TARGET=(--issuer "$ISSUER" --client-id "$WEB_ID" --client-secret "$WEB_SECRET"
    --redirect-uri "$REDIRECT" --email bench@bench.test --password bench-password)

# A load's result line, tagged, with the server's peak RSS so far.
record_load() { # SERVER PHASE < result line
    local line
    line=$(cat)
    echo "$line" | record kind=load server="$1" phase="$2" \
        hwm_kib="$($HELPER rss "$SERVER_PID" | $HELPER field hwm_kib)"
}

oha_load() { # NAME SERVER PHASE oha-args...
    local name=$1 server=$2 phase=$3
    shift 3
    on_load_cpu "$OHA" --no-tui --output-format json -z "${SECS}s" -c "$CONC" "$@" \
        | $HELPER oha "$name" | record_load "$server" "$phase"
}

start_idp() { # PHASE
    say "starting idp-server ($1)"
    local started
    started=$($HELPER start "$BASE_URL/health" "$WORK/server.log" taskset -c "$SERVER_CPU" "$IDP" serve)
    SERVER_PID=$(echo "$started" | $HELPER field pid)
    READY_MS=$(echo "$started" | $HELPER field ready_ms)
    sleep 2
    IDLE_KIB=$($HELPER rss "$SERVER_PID" | $HELPER field rss_kib)
}

stop_server() { # the servers are not children of this shell (helper.py started them)
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    SERVER_PID=""
}

measure_idp() { # PHASE
    local phase=$1
    start_idp "$phase"
    say "idp: client credentials, introspection, userinfo, discovery, JWKS ($phase)"
    oha_load "client credentials" idp "$phase" -m POST -H "authorization: $CC_BASIC" \
        -T application/x-www-form-urlencoded -d 'grant_type=client_credentials' "$ISSUER/token"
    local at ut
    at=$(curl -sf -X POST -H "authorization: $CC_BASIC" -d grant_type=client_credentials "$ISSUER/token" | $HELPER field access_token)
    oha_load "introspection" idp "$phase" -m POST -H "authorization: $CC_BASIC" \
        -T application/x-www-form-urlencoded -d "token=$at" "$ISSUER/introspect"
    ut=$(on_load_cpu "$DRIVER" user-token "${TARGET[@]}" | $HELPER field access_token)
    oha_load "userinfo" idp "$phase" -H "authorization: Bearer $ut" "$ISSUER/userinfo"
    oha_load "discovery" idp "$phase" "$ISSUER/.well-known/openid-configuration"
    oha_load "JWKS" idp "$phase" "$ISSUER/jwks"
    say "idp: code exchange, refresh, password login ($phase)"
    on_load_cpu "$DRIVER" exchange "${TARGET[@]}" --secs "$SECS" --concurrency "$CONC" --count "$CODES" \
        | record_load idp "$phase"
    on_load_cpu "$DRIVER" refresh "${TARGET[@]}" --secs "$SECS" --concurrency "$CONC" --count "$CODES" \
        | record_load idp "$phase"
    on_load_cpu "$DRIVER" login "${TARGET[@]}" --secs "$SECS" --concurrency "$CONC" --count $((SECS * 60)) \
        | record_load idp "$phase"
    local peak
    peak=$($HELPER rss "$SERVER_PID" | $HELPER field hwm_kib)
    echo "{\"ready_ms\": $READY_MS, \"idle_kib\": $IDLE_KIB, \"peak_kib\": $peak}" \
        | record kind=process server=idp phase="$phase"
    stop_server
}

measure_idp small

if [ "${BENCH_SKIP_LARGE:-0}" != 1 ]; then
    say "bulk seeding $USERS users and $CLIENTS clients"
    "$DRIVER" seed --database "$DATABASE_URL" --tenant bench --users "$USERS" --clients "$CLIENTS" --prefix large \
        | record kind=seed phase=large
    measure_idp large
fi

# --- the peer ----------------------------------------------------------------------
if [ "${BENCH_SKIP_PEER:-0}" != 1 ]; then
    say "oidc-provider $(node -p "require('$PEER_DIR/node_modules/oidc-provider/package.json').version") on node $(node --version)"
    PEER_PORT=$(free_port)
    PEER="http://127.0.0.1:$PEER_PORT"
    started=$(cd "$PEER_DIR" && PEER_PORT=$PEER_PORT NODE_ENV=production \
        $HELPER start "$PEER/.well-known/openid-configuration" "$WORK/peer.log" \
        taskset -c "$SERVER_CPU" node peer.mjs)
    SERVER_PID=$(echo "$started" | $HELPER field pid)
    READY_MS=$(echo "$started" | $HELPER field ready_ms)
    sleep 2
    IDLE_KIB=$($HELPER rss "$SERVER_PID" | $HELPER field rss_kib)
    PEER_BASIC="Basic $(printf 'bench:bench-secret-bench-secret-bench-secret' | base64 -w0)"
    oha_load "client credentials" peer "" -m POST -H "authorization: $PEER_BASIC" \
        -T application/x-www-form-urlencoded -d 'grant_type=client_credentials&resource=urn%3Abench%3Aapi&scope=api' "$PEER/token"
    opaque=$(curl -sf -X POST -H "authorization: $PEER_BASIC" -d grant_type=client_credentials "$PEER/token" | $HELPER field access_token)
    oha_load "introspection" peer "" -m POST -H "authorization: $PEER_BASIC" \
        -T application/x-www-form-urlencoded -d "token=$opaque" "$PEER/token/introspection"
    oha_load "discovery" peer "" "$PEER/.well-known/openid-configuration"
    oha_load "JWKS" peer "" "$PEER/jwks"
    peak=$($HELPER rss "$SERVER_PID" | $HELPER field hwm_kib)
    echo "{\"ready_ms\": $READY_MS, \"idle_kib\": $IDLE_KIB, \"peak_kib\": $peak}" | record kind=process server=peer
    stop_server
fi

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/latest.machine" >&2
$HELPER table "$RESULTS" | tee "$OUT/latest.md"
