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
# Environment: BENCH_SECS (10), BENCH_CONCURRENCY (32), BENCH_API_CONCURRENCY (4, the admin API lists), BENCH_USERS
# (1000000), BENCH_CLIENTS (100000), BENCH_CODES (12000; codes live 60 s), BENCH_SKIP_LARGE=1,
# BENCH_SKIP_PEER=1, BENCH_NO_BUILD=1 (use the binaries in target/release), BENCH_IDP (another
# idp-server binary, e.g. one built with other features). Results: bench/results/latest.jsonl and latest.md.
#
# PostgreSQL (issue 15): BENCH_BACKEND=sqlite (the default: everything above,
# unchanged), postgres, or both (the SQLite phases, then the same on
# PostgreSQL). For PostgreSQL the script creates a fresh database on
# BENCH_PG_URL (postgres://postgres@127.0.0.1:5432, a superuser: the
# migrations create the idp_app role), starts the same binary with
# DATABASE_URL=$BENCH_PG_URL/idp_bench_..., provisions through the CLI and
# seeds through the store's batch methods as for SQLite, runs the same
# loads, then client credentials and introspection on one instance and on
# two (two processes, two ports, same DATABASE_URL, ENCRYPTION_KEY and
# BASE_URL, the load split across two oha runs; BENCH_SKIP_INSTANCES=1 to
# skip), the large phase (BENCH_PG_USERS, BENCH_PG_CLIENTS: default
# BENCH_USERS, BENCH_CLIENTS), and drops the database (also on failure).
# PostgreSQL itself is not pinned: it shares both cores with the server
# and the load generator, as a database on the same machine does.
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
IDP=${BENCH_IDP:-$ROOT/target/release/idp-server}
HELPER="python3 $BENCH/helper.py"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/idp-bench.XXXXXX")
OUT=$BENCH/results
RESULTS=$OUT/latest.jsonl
SERVER_PID=""
SERVER_PID2=""
BACKEND_CHOICE=${BENCH_BACKEND:-sqlite}
case $BACKEND_CHOICE in
    sqlite) BACKENDS=(sqlite) ;;
    postgres) BACKENDS=(postgres) ;;
    both) BACKENDS=(sqlite postgres) ;;
    *) echo "BENCH_BACKEND must be sqlite, postgres or both, not '$BACKEND_CHOICE'" >&2; exit 2 ;;
esac
PG_BASE=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
PG_DB=""
BACKEND=""
ALL_CPUS="0-$(($(nproc) - 1))"

cleanup() {
    if [ -n "$SERVER_PID" ]; then
        stop_server
    fi
    if [ -n "$SERVER_PID2" ]; then
        stop_pid "$SERVER_PID2"
        SERVER_PID2=""
    fi
    drop_pg_database
    rm -rf "$WORK"
}

pg_admin() { psql "$PG_BASE/postgres" -v ON_ERROR_STOP=1 -Atq "$@"; }
drop_pg_database() {
    if [ -n "$PG_DB" ]; then
        say "dropping database $PG_DB"
        pg_admin -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >&2 || true
        PG_DB=""
    fi
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
# Lines about idp-server carry backend=sqlite|postgres (none for the peer
# and the baselines).
record() { $HELPER tag "$@" ${BACKEND:+backend=$BACKEND} | tee -a "$RESULTS" >&2; }

# --- the machine ---------------------------------------------------------------
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo "memory: $(free -m | awk '/Mem:/ {print $2}') MiB"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "settings: ${SECS}s per load, concurrency $CONC, server on core $SERVER_CPU, load on core $LOAD_CPU, backends: ${BACKENDS[*]}"
} | tee "$OUT/latest.machine" >&2

# --- baselines -----------------------------------------------------------------
say "bare cryptography on core $SERVER_CPU"
for alg in RS256 ES256 EdDSA; do
    taskset -c "$SERVER_CPU" "$DRIVER" sign-rate --alg "$alg" --secs 3 | record kind=baseline
done
taskset -c "$SERVER_CPU" "$DRIVER" hash-rate --secs 3 | record kind=baseline

# --- provisioning ----------------------------------------------------------------
export ENCRYPTION_KEY
ENCRYPTION_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
# The server logs at its default level (info: one line per request) into
# $WORK/server.log, as deployed; set LOG_LEVEL=warn to measure without.

provision() { # BACKEND: a fresh database, the tenant, clients and users
    BACKEND=$1
    case $BACKEND in
        sqlite) export DATABASE_URL="sqlite:$WORK/idp.db" ;;
        postgres)
            PG_DB="idp_bench_$(date +%s)_$$"
            say "creating database $PG_DB on $PG_BASE"
            pg_admin -c "CREATE DATABASE $PG_DB" >&2
            export DATABASE_URL="$PG_BASE/$PG_DB"
            ;;
    esac
    PORT=$(free_port)
    export BASE_URL="http://127.0.0.1:$PORT"
    export SERVER_HOST=127.0.0.1 SERVER_PORT=$PORT
    ISSUER="$BASE_URL/t/bench"

    say "provisioning through the CLI ($BACKEND)"
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
    printf 'bench-password' | "$IDP" owner create --email ops@bench.test --password-stdin >&2
    "$DRIVER" seed --database "$DATABASE_URL" --tenant bench --users 999 --clients 98 --prefix small | record kind=seed phase=small
    CC_BASIC="Basic $(printf '%s:%s' "$CC_ID" "$CC_SECRET" | base64 -w0)"
    API_KEY=$("$IDP" api-key create --name bench --read-only --json | $HELPER field key)
    TARGET=(--issuer "$ISSUER" --client-id "$WEB_ID" --client-secret "$WEB_SECRET"
        --redirect-uri "$REDIRECT" --email bench@bench.test --password bench-password)
}

# A load's result line, tagged, with the server's peak RSS so far.
record_load() { # SERVER PHASE [K=V...] < result line
    local line server=$1 phase=$2
    shift 2
    line=$(cat)
    echo "$line" | record kind=load server="$server" phase="$phase" \
        hwm_kib="$($HELPER rss "$SERVER_PID" | $HELPER field hwm_kib)" "$@"
}

# CPU ticks of PostgreSQL's backends serving this run's database (their
# pids from pg_stat_activity), so that an oha load on PostgreSQL also
# reports the database's CPU time per request (pg_cpu_s), and the server's
# (idp_cpu_s).
pg_ticks() { # > FILE
    $HELPER ticks $(pg_admin -c "SELECT pid FROM pg_stat_activity WHERE datname = '$PG_DB'")
}
idp_ticks() { $HELPER ticks "$SERVER_PID"; }

oha_load() { # NAME SERVER PHASE oha-args...
    local name=$1 server=$2 phase=$3
    shift 3
    if [ "$BACKEND" = postgres ]; then
        pg_ticks > "$WORK/ticks0.json"
        idp_ticks > "$WORK/idp0.json"
        on_load_cpu "$OHA" --no-tui --output-format json -z "${SECS}s" -c "$CONC" "$@" \
            | $HELPER oha "$name" > "$WORK/load.json"
        pg_ticks > "$WORK/ticks1.json"
        idp_ticks > "$WORK/idp1.json"
        record_load "$server" "$phase" \
            pg_cpu_s="$($HELPER ticks-delta "$WORK/ticks0.json" "$WORK/ticks1.json")" \
            idp_cpu_s="$($HELPER ticks-delta "$WORK/idp0.json" "$WORK/idp1.json")" < "$WORK/load.json"
    else
        on_load_cpu "$OHA" --no-tui --output-format json -z "${SECS}s" -c "$CONC" "$@" \
            | $HELPER oha "$name" | record_load "$server" "$phase"
    fi
}

start_idp() { # PHASE
    say "starting idp-server ($1)"
    local started
    started=$(RATE_LIMIT_ADMIN_API=0 $HELPER start "$BASE_URL/health" "$WORK/server.log" taskset -c "$SERVER_CPU" "$IDP" serve)
    SERVER_PID=$(echo "$started" | $HELPER field pid)
    READY_MS=$(echo "$started" | $HELPER field ready_ms)
    sleep 2
    IDLE_KIB=$($HELPER rss "$SERVER_PID" | $HELPER field rss_kib)
}

stop_pid() { # the servers are not children of this shell (helper.py started them)
    kill "$1" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
}
stop_server() {
    stop_pid "$SERVER_PID"
    SERVER_PID=""
}

# The admin API's list endpoints (issue 16): a first page of 100 users and
# of 100 clients, a later page (after the cursor of a one-item first page),
# and a lookup by email, each with a read-only API key, so every request
# also pays for the key's verification. The per-key rate limit is lifted
# for the run (RATE_LIMIT_ADMIN_API=0 in start_idp's environment). The
# admin API is not a high-concurrency path (one key gets 20 requests per
# second by default), so these loads run BENCH_API_CONCURRENCY (4)
# requests in flight, not BENCH_CONCURRENCY: their p99 is a page's
# latency rather than the queue of 32 requests on one core.
measure_admin_api() { # PHASE
    local phase=$1 api="$BASE_URL/api/v1/tenants/bench" cursor conc=${BENCH_API_CONCURRENCY:-4}
    local -a auth=(-H "authorization: Bearer $API_KEY")
    say "idp: admin API lists, $conc in flight ($phase)"
    for list in users clients; do
        CONC=$conc oha_load "API: 100 $list" idp "$phase" "${auth[@]}" "$api/$list?limit=100"
        cursor=$(curl -sf "${auth[@]}" "$api/$list?limit=1" | $HELPER field next_cursor)
        CONC=$conc oha_load "API: 100 $list, later page" idp "$phase" "${auth[@]}" "$api/$list?limit=100&cursor=$cursor"
    done
    CONC=$conc oha_load "API: user by email" idp "$phase" "${auth[@]}" "$api/users?email=bench%40bench.test"
}

# The console's pages (issue 18) as the platform's owner sees them, signed
# in once through the platform's login page by the driver: an
# organisation's users and clients (first page), a user found by email,
# the organisation's overview (its usage counts), the dashboard and the
# audit log. Each page reads through the admin API in process, so these
# include the API's work. One request in flight: the latency is the
# server's time for the page (plus loopback), which the budget is about
# (p50 under 5 ms with 1M users and 100k clients).
measure_console() { # PHASE
    local phase=$1 cookie conc=1
    cookie=$(on_load_cpu "$DRIVER" console-cookie --base-url "$BASE_URL" \
        --email ops@bench.test --password bench-password | $HELPER field cookie)
    # A signed-out console answers 200 too (its sign-in page): make sure
    # the session is the one measured.
    local page
    page=$(curl -sf -H "cookie: $cookie" "$BASE_URL/admin/tenants/bench/users")
    case $page in
        *'id="sign-out"'*) ;;
        *) echo "bench: the console session was not accepted" >&2; exit 1 ;;
    esac
    say "idp: console pages, $conc in flight ($phase)"
    for page in tenants/bench/users tenants/bench/clients "tenants/bench/users?email=bench%40bench.test" \
        tenants/bench "" audit; do
        CONC=$conc oha_load "console: /admin/$page" idp "$phase" -H "cookie: $cookie" "$BASE_URL/admin/$page"
    done
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
    measure_admin_api "$phase"
    measure_console "$phase"
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

# One instance against two (PostgreSQL): the same BASE_URL, DATABASE_URL and
# ENCRYPTION_KEY, two ports. Three set-ups, back to back, for each load:
# "1 instance, core 0" is the table's (load generator on core 1); "1
# instance, 2 cores" and "2 instances, 2 cores" leave the server, oha and
# PostgreSQL free to run on either core (each instance pinned to its own
# core in the latter), the load split across two oha runs at half the
# concurrency each (rates added, the worse p99 of the two).
oha_pair() { # NAME SETUP URL2 oha-args... URL1
    local name=$1 setup=$2 url2=$3
    shift 3
    local args=("$@")
    local last=$((${#args[@]} - 1))
    local url1=${args[$last]}
    unset "args[$last]"
    local half=$(((CONC + 1) / 2))
    "$OHA" --no-tui --output-format json -z "${SECS}s" -c "$half" "${args[@]}" "$url1" \
        | $HELPER oha "$name" > "$WORK/pair1.json" &
    local p1=$!
    "$OHA" --no-tui --output-format json -z "${SECS}s" -c "$half" "${args[@]}" "$url2" \
        | $HELPER oha "$name" > "$WORK/pair2.json" &
    local p2=$!
    wait "$p1" "$p2"
    $HELPER merge "$WORK/pair1.json" "$WORK/pair2.json" \
        | record kind=instances server=idp phase=small setup="$setup" instances=2
}

instance_loads() { # SETUP LOAD-CPUS [URL2]: client credentials and introspection
    local setup=$1 load_cpus=$2 url2=${3:-} at
    at=$(curl -sf -X POST -H "authorization: $CC_BASIC" -d grant_type=client_credentials "$ISSUER/token" | $HELPER field access_token)
    local -a cc=(-m POST -H "authorization: $CC_BASIC" -T application/x-www-form-urlencoded -d 'grant_type=client_credentials')
    local -a intro=(-m POST -H "authorization: $CC_BASIC" -T application/x-www-form-urlencoded -d "token=$at")
    if [ -z "$url2" ]; then
        taskset -c "$load_cpus" "$OHA" --no-tui --output-format json -z "${SECS}s" -c "$CONC" "${cc[@]}" "$ISSUER/token" \
            | $HELPER oha "client credentials" | record kind=instances server=idp phase=small setup="$setup" instances=1
        taskset -c "$load_cpus" "$OHA" --no-tui --output-format json -z "${SECS}s" -c "$CONC" "${intro[@]}" "$ISSUER/introspect" \
            | $HELPER oha "introspection" | record kind=instances server=idp phase=small setup="$setup" instances=1
    else
        oha_pair "client credentials" "$setup" "$url2/t/bench/token" "${cc[@]}" "$ISSUER/token"
        oha_pair "introspection" "$setup" "$url2/t/bench/introspect" "${intro[@]}" "$ISSUER/introspect"
    fi
}

measure_instances() {
    local started port2
    say "one instance against two: 1 instance on core $SERVER_CPU"
    start_idp instances-1
    instance_loads "1 instance, core $SERVER_CPU" "$LOAD_CPU"
    stop_server
    say "one instance against two: 1 instance on cores $ALL_CPUS"
    started=$($HELPER start "$BASE_URL/health" "$WORK/server.log" taskset -c "$ALL_CPUS" "$IDP" serve)
    SERVER_PID=$(echo "$started" | $HELPER field pid)
    sleep 1
    instance_loads "1 instance, 2 cores" "$ALL_CPUS"
    stop_server
    say "one instance against two: 2 instances, cores $SERVER_CPU and $LOAD_CPU"
    port2=$(free_port)
    started=$($HELPER start "$BASE_URL/health" "$WORK/server.log" taskset -c "$SERVER_CPU" "$IDP" serve)
    SERVER_PID=$(echo "$started" | $HELPER field pid)
    started=$(SERVER_PORT=$port2 $HELPER start "http://127.0.0.1:$port2/health" "$WORK/server2.log" \
        taskset -c "$LOAD_CPU" "$IDP" serve)
    SERVER_PID2=$(echo "$started" | $HELPER field pid)
    sleep 1
    instance_loads "2 instances, 2 cores" "$ALL_CPUS" "http://127.0.0.1:$port2"
    stop_pid "$SERVER_PID2"
    SERVER_PID2=""
    stop_server
}

for backend in "${BACKENDS[@]}"; do
    provision "$backend"
    measure_idp small
    if [ "$backend" = postgres ] && [ "${BENCH_SKIP_INSTANCES:-0}" != 1 ]; then
        measure_instances
    fi
    if [ "${BENCH_SKIP_LARGE:-0}" != 1 ]; then
        users=$USERS clients=$CLIENTS
        if [ "$backend" = postgres ]; then
            users=${BENCH_PG_USERS:-$USERS} clients=${BENCH_PG_CLIENTS:-$CLIENTS}
        fi
        say "bulk seeding $users users and $clients clients ($backend)"
        "$DRIVER" seed --database "$DATABASE_URL" --tenant bench --users "$users" --clients "$clients" --prefix large \
            | record kind=seed phase=large
        measure_idp large
    fi
    drop_pg_database
done
BACKEND=""

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
