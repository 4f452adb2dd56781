#!/usr/bin/env bash
# Builds every fuzz target (fuzz_targets/*.rs) and runs each for SECONDS
# (default 30), starting from its committed seed corpus (corpus/<target>/).
# Exits non-zero if any target crashes, panics, leaks past libFuzzer's
# memory limit or hangs on one input; the input that did it is saved in
# artifacts/<target>/ (reproduce: target/<host>/release/<target> <file>).
#
# Stable toolchain, no cargo-fuzz needed: the flags are those
# `cargo fuzz build -s none` passes (cargo-fuzz 0.13), so both share
# fuzz/target; `cargo fuzz run -s none <target>` works as well.
# FUZZ_TARGETS="a b" runs only those.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-30}"
host="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 --cfg fuzzing \
 -Cllvm-args=-simplifycfg-branch-fold-threshold=0 \
 -Cllvm-args=-sanitizer-coverage-stack-depth \
 -Cdebug-assertions -Ccodegen-units=1"
# --target keeps RUSTFLAGS off build scripts and proc macros.
cargo build --release --locked --target "$host" --bins

targets="${FUZZ_TARGETS:-$(basename -s .rs fuzz_targets/*.rs)}"
failed=()
for t in $targets; do
    work="target/corpus/$t" # grows as the fuzzer learns; corpus/ stays as committed
    mkdir -p "$work" "artifacts/$t" target/logs
    log="target/logs/$t.log"
    if "target/$host/release/$t" "$work" "corpus/$t" \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$log" 2>&1; then
        runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
        echo "fuzz $t: ok, ${runs:-?} executions in ${seconds}s"
    else
        echo "fuzz $t: FAILED (log below; input in fuzz/artifacts/$t/)"
        tail -n 40 "$log"
        failed+=("$t")
    fi
done
count=$(wc -w <<<"$targets")
# The plain closing line CI's log reader counts.
echo "fuzz: $((count - ${#failed[@]})) passed, ${#failed[@]} failed"
if ((${#failed[@]})); then
    echo "fuzz targets that failed: ${failed[*]}"
    exit 1
fi
