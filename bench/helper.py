#!/usr/bin/env python3
"""Small helpers for bench/run.sh: start a server and time it to ready, read
RSS from /proc, normalise oha's JSON, tag result lines, print the table.
Standard library only."""
import json
import subprocess
import sys
import time
import urllib.request


def start(args):
    """start URL LOG CMD...: spawn CMD (output to LOG), poll URL every ms
    until 200; print {"pid", "ready_ms"}."""
    url, log, cmd = args[0], args[1], args[2:]
    out = open(log, "ab")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    while True:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    break
        except Exception:
            pass
        if time.monotonic() - t0 > 60:
            sys.exit(f"{url} not ready after 60 s; see {log}")
        time.sleep(0.001)
    print(json.dumps({"pid": proc.pid, "ready_ms": (time.monotonic() - t0) * 1000}))


def rss(args):
    """rss PID: {"rss_kib", "hwm_kib"} from /proc/PID/status."""
    fields = {}
    with open(f"/proc/{args[0]}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.split()[0] if v.split() else ""
    print(json.dumps({"rss_kib": int(fields["VmRSS"]), "hwm_kib": int(fields["VmHWM"])}))


def oha(args):
    """oha NAME < oha --output-format json: our result line. Only 2xx count as ok."""
    d = json.load(sys.stdin)
    total_secs = d["summary"]["total"]
    codes = d.get("statusCodeDistribution", {})
    ok = sum(n for c, n in codes.items() if str(c).startswith("2"))
    errors = sum(n for c, n in codes.items() if not str(c).startswith("2"))
    # Requests cut off by the end of the run are not failures.
    errors += sum(n for e, n in d.get("errorDistribution", {}).items() if "deadline" not in e)
    lat = d.get("latencyPercentiles", {})
    print(json.dumps({
        "name": args[0], "ok": ok, "errors": errors, "secs": total_secs,
        "rps": ok / total_secs if total_secs else 0,
        "p50_ms": (lat.get("p50") or 0) * 1000, "p99_ms": (lat.get("p99") or 0) * 1000,
        "status": codes,
    }))


def ticks(args):
    """ticks PID...: {pid: utime + stime} in clock ticks, from /proc/PID/stat
    (processes gone meanwhile are left out)."""
    out = {}
    for pid in args:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[pid] = int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    print(json.dumps(out))


def ticks_delta(args):
    """ticks-delta BEFORE AFTER: CPU seconds the processes used between the
    two (a process that appeared meanwhile counts from zero)."""
    import os
    a, b = json.load(open(args[0])), json.load(open(args[1]))
    hz = os.sysconf("SC_CLK_TCK")
    print(f"{sum(t - a.get(p, 0) for p, t in b.items()) / hz:.2f}")


def merge(args):
    """merge FILE...: one result line from oha runs that ran at once
    (two instances): rates and counts added, the worst p50 and p99."""
    parts = [json.load(open(f)) for f in args]
    status = {}
    for p in parts:
        for c, n in p.get("status", {}).items():
            status[c] = status.get(c, 0) + n
    print(json.dumps({
        "name": parts[0]["name"], "ok": sum(p["ok"] for p in parts),
        "errors": sum(p["errors"] for p in parts), "secs": max(p["secs"] for p in parts),
        "rps": sum(p["rps"] for p in parts),
        "p50_ms": max(p["p50_ms"] for p in parts), "p99_ms": max(p["p99_ms"] for p in parts),
        "status": status, "parts": [p["rps"] for p in parts],
    }))


def tag(args):
    """tag K=V...: add fields to each JSON line on stdin."""
    extra = dict(a.split("=", 1) for a in args)
    for line in sys.stdin:
        line = line.strip()
        if line.startswith("{"):
            d = json.loads(line)
            d.update(extra)
            print(json.dumps(d))


def field(args):
    """field KEY < JSON: print one field."""
    print(json.load(sys.stdin)[args[0]])


def table(args):
    """table RESULTS: the markdown tables of BENCHMARKS.md."""
    rows = [json.loads(l) for l in open(args[0]) if l.strip()]
    # PostgreSQL lines (BENCH_BACKEND=postgres|both) have their own tables at
    # the end; the tables before them are SQLite's, as they always were.
    pg = [r for r in rows if r.get("backend") == "postgres"]
    rows = [r for r in rows if r.get("backend") != "postgres"]
    get = lambda **kw: next((r for r in rows if all(r.get(k) == v for k, v in kw.items())), None)
    rate = lambda r: r["rps"] if r else float("nan")
    base = {r["name"]: r["rps"] for r in rows if r.get("kind") == "baseline"}
    print("### Bare cryptography (one thread, the server's core)\n")
    print("| operation | per second |\n|---|---:|")
    for name, v in base.items():
        print(f"| {name} | {v:,.0f} |")
    phases = [p for p in ("small", "large") if get(server="idp", phase=p)]
    print("\n### idp-server, per endpoint (server on one core, load generator on the other)\n")
    head = "| endpoint |" + "".join(f" {p}: req/s | p50 ms | p99 ms |" for p in phases)
    if len(phases) == 2:
        head += " p99 large/small |"
    print(head)
    print("|---|" + "---:|" * (3 * len(phases) + (1 if len(phases) == 2 else 0)))
    names = [r["name"] for r in rows if r.get("server") == "idp" and r.get("phase") == "small" and "rps" in r and r.get("kind") == "load"]
    for n in names:
        line = f"| {n} |"
        cells = []
        for p in phases:
            r = get(server="idp", phase=p, name=n)
            cells.append(r)
            line += f" {rate(r):,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} |" if r else " - | - | - |"
        if len(phases) == 2 and all(cells) and cells[0]["p99_ms"]:
            line += f" {cells[1]['p99_ms'] / cells[0]['p99_ms']:.2f}x |"
        print(line)
    print("\n### Against oidc-provider (same core for each server, same load generator)\n")
    print("| endpoint | idp req/s | oidc-provider req/s | ratio | idp p99 ms | oidc-provider p99 ms |\n|---|---:|---:|---:|---:|---:|")
    for n in [r["name"] for r in rows if r.get("server") == "peer" and r.get("kind") == "load"]:
        a, b = get(server="idp", phase="small", name=n), get(server="peer", name=n)
        if a and b and b["rps"]:
            print(f"| {n} | {a['rps']:,.0f} | {b['rps']:,.0f} | {a['rps'] / b['rps']:.1f}x | {a['p99_ms']:.2f} | {b['p99_ms']:.2f} |")
    print("\n### Memory and start-up\n")
    print("| server | start to first 200 (ms) | idle RSS (MiB) | peak RSS under load (MiB) |\n|---|---:|---:|---:|")
    for r in rows:
        if r.get("kind") == "process":
            label = r["server"] + (f" ({r['phase']})" if r.get("phase") else "")
            print(f"| {label} | {float(r['ready_ms']):.0f} | {r['idle_kib'] / 1024:.1f} | {r['peak_kib'] / 1024:.1f} |")
    idp_small = [r for r in rows if r.get("kind") == "process" and r["server"] == "idp" and r.get("phase") == "small"]
    peer = [r for r in rows if r.get("kind") == "process" and r["server"] == "peer"]
    if idp_small and peer:
        print(f"\nPeak RSS, idp / oidc-provider: {idp_small[0]['peak_kib'] / peer[0]['peak_kib']:.2f}")
    print("\n### Against the bare cryptography (same run, same core)\n")
    rs, es, argon = base.get("sign RS256"), base.get("sign ES256"), base.get("argon2id verify")
    checks = []
    r = get(server="idp", phase="small", name="client credentials")
    if r and es:
        checks.append(("client credentials / ES256 signs", r["rps"] / es))
    r = get(server="idp", phase="small", name="refresh")
    if r and es and rs:
        checks.append(("refresh / (ES256 access + RS256 ID token) signs", r["rps"] / (1 / (1 / es + 1 / rs))))
    r = get(server="idp", phase="small", name="code exchange")
    if r and rs:
        checks.append(("code exchange / RS256 signs", r["rps"] / rs))
        if es:
            checks.append(("code exchange / (ES256 access + RS256 ID token) signs", r["rps"] / (1 / (1 / es + 1 / rs))))
    r = get(server="idp", phase="small", name="password login")
    if r and argon:
        checks.append(("password login / argon2id verifies", r["rps"] / argon))
    print("| figure | fraction |\n|---|---:|")
    for k, v in checks:
        print(f"| {k} | {v * 100:.0f}% |")
    if pg:
        postgres_tables(rows, pg)


# Issue 15's budget: PostgreSQL's rate as a fraction of SQLite's, same run.
PG_BUDGET = {"client credentials": 0.7, "introspection": 0.7, "userinfo": 0.7,
             "code exchange": 0.5, "refresh": 0.5}


def postgres_tables(sqlite, pg):
    """The PostgreSQL column next to SQLite, its large phase, one instance
    against two, memory."""
    find = lambda rows, **kw: next((r for r in rows if all(r.get(k) == v for k, v in kw.items())), None)
    names = [r["name"] for r in pg if r.get("kind") == "load" and r.get("phase") == "small"]
    print("\n### PostgreSQL against SQLite (same run; server on one core, load on the other, PostgreSQL on either)\n")
    print("| endpoint | SQLite req/s | SQLite p99 ms | PostgreSQL req/s | PostgreSQL p99 ms | PG/SQLite | budget | CPU µs/request: idp, PostgreSQL |")
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    for n in names:
        a = find(sqlite, kind="load", server="idp", phase="small", name=n)
        b = find(pg, kind="load", server="idp", phase="small", name=n)
        if not b:
            continue
        ratio = b["rps"] / a["rps"] if a and a["rps"] else None
        budget = PG_BUDGET.get(n)
        verdict = "" if budget is None or ratio is None else \
            f"≥ {budget * 100:.0f}%: {'met' if ratio >= budget else '**missed**'}"
        print(f"| {n} | {a['rps']:,.0f} | {a['p99_ms']:.2f} | " if a else f"| {n} | - | - | ", end="")
        cpu = f"{float(b['idp_cpu_s']) * 1e6 / b['ok']:.0f}, {float(b['pg_cpu_s']) * 1e6 / b['ok']:.0f}" \
            if b.get("pg_cpu_s") and b.get("idp_cpu_s") and b.get("ok") else ""
        print(f"{b['rps']:,.0f} | {b['p99_ms']:.2f} | " + (f"{ratio * 100:.0f}% |" if ratio is not None else "- |") + f" {verdict} | {cpu} |")
    large = [r for r in pg if r.get("kind") == "load" and r.get("phase") == "large"]
    if large:
        seed = find(pg, kind="seed", phase="large")
        what = f" ({seed['users']:,} + 1,000 users, {seed['clients']:,} + 100 clients; seeded in {seed['users_secs']:.0f} s + {seed['clients_secs']:.0f} s)" if seed else ""
        print(f"\n### PostgreSQL, large database against small{what}\n")
        print("| endpoint | small req/s | small p99 ms | large req/s | large p99 ms | p99 large/small | within 2x |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for n in names:
            a = find(pg, kind="load", phase="small", name=n)
            b = find(pg, kind="load", phase="large", name=n)
            if a and b and a["p99_ms"]:
                q = b["p99_ms"] / a["p99_ms"]
                print(f"| {n} | {a['rps']:,.0f} | {a['p99_ms']:.2f} | {b['rps']:,.0f} | {b['p99_ms']:.2f} | {q:.2f}x | {'yes' if q <= 2 else '**no**'} |")
    inst = [r for r in pg if r.get("kind") == "instances"]
    if inst:
        print("\n### PostgreSQL, one instance against two (same DATABASE_URL, ENCRYPTION_KEY, BASE_URL; two ports)\n")
        setups = list(dict.fromkeys(r["setup"] for r in inst))
        print("| endpoint |" + "".join(f" {s}: req/s | p99 ms |" for s in setups) + " 2 instances / 1 (core 0) | 2 instances / 1 (2 cores) |")
        print("|---|" + "---:|" * (2 * len(setups) + 2))
        for n in dict.fromkeys(r["name"] for r in inst):
            cells = [find(inst, name=n, setup=s) for s in setups]
            line = f"| {n} |" + "".join(f" {c['rps']:,.0f} | {c['p99_ms']:.2f} |" if c else " - | - |" for c in cells)
            two = next((c for c in cells if c and c.get("instances") == "2"), None)
            ones = [c for c in cells if c and c.get("instances") == "1"]
            for one in (ones + [None, None])[:2]:
                line += f" {two['rps'] / one['rps']:.2f}x |" if two and one and one["rps"] else " - |"
            print(line)
    procs = [r for r in pg if r.get("kind") == "process"]
    if procs:
        print("\n### PostgreSQL, memory and start-up\n")
        print("| server | start to first 200 (ms) | idle RSS (MiB) | peak RSS under load (MiB) |\n|---|---:|---:|---:|")
        for r in procs:
            print(f"| idp on PostgreSQL ({r.get('phase')}) | {float(r['ready_ms']):.0f} | {r['idle_kib'] / 1024:.1f} | {r['peak_kib'] / 1024:.1f} |")


if __name__ == "__main__":
    {"start": start, "rss": rss, "oha": oha, "merge": merge, "ticks": ticks, "ticks-delta": ticks_delta, "tag": tag, "field": field, "table": table}[sys.argv[1]](sys.argv[2:])
