#!/usr/bin/env python3
"""Turns the JSON lines of one `make bench` run into target/bench-report.{md,json}.

Every target is a ratio against a ceiling measured in the same run on the same box
(docs/benchmarks.md)."""
import json
import platform
import subprocess
import sys


def revision():
    """The commit measured, marked when the work tree had changes."""
    run = lambda *a: subprocess.run(["git", *a], capture_output=True, text=True).stdout.strip()
    rev = run("rev-parse", "--short", "HEAD") or "unknown"
    return rev + (" (with uncommitted changes)" if run("status", "--porcelain", "--untracked-files=no") else "")


def main(raw_path, md_path, json_path):
    results, usage = {}, []
    with open(raw_path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                if r["name"] == "usage":
                    usage.append(r)
                else:
                    results[r["name"]] = r
    g = lambda name, key="per_sec": (results.get(name) or {}).get(key)
    echo = (results.get("echo") or {}).get("results", {})
    b_echo = echo.get("B_echo", {})
    kit_echo = echo.get("kit_echo", {})
    pipe = results.get("pipeline", {})

    ceilings = [
        ("B_fsync", "fdatasync/s (pg_test_fsync)", g("B_fsync")),
        ("B_pg", "single-row INSERT commits/s, 8 clients (pgbench)", g("B_pg")),
        ("B_pgN", "rows/s, 100 rows per transaction, 8 clients", g("B_pgN")),
        ("B_pg_tx", "the pipeline's write transaction (change + outbox row)/s, 8 clients", g("B_pg_tx")),
        ("B_js", "JetStream acked publishes/s, 128 B, 256 in flight", g("B_js")),
        ("B_js_rtt", "one publish waiting for its ack (µs)", g("B_js_rtt", "rtt_us")),
        ("B_cons", "durable pull consumer, explicit ack, msgs/s", g("B_cons")),
        ("B_echo", "tonic unary echo on one core, req/s (100 streams)", b_echo.get("per_sec")),
    ]

    def ratio(a, b):
        return None if not a or not b else a / b

    hl = results.get("hotline-api", {})
    ic = results.get("invoice-checks", {})
    tg = results.get("terminal-gateway", {})
    ts = tg.get("start_rpc", {})
    px = results.get("pixi-sync", {})
    tb = results.get("ticketing-bridge", {})
    bl = results.get("backlog", {})
    us_ms = lambda v: None if v is None else v / 1000

    # (target, value, ceiling, goal, how): "ratio" compares value ÷ ceiling with the goal as a
    # floor; "max"/"min" compare the value itself; "band" is a ratio that must lie in goal.
    targets = [
        ("1 pipeline events/s ÷ B_pg", pipe.get("events_per_sec"), g("B_pg"), 0.5, "ratio"),
        ("1 pipeline events/s ÷ B_pg_tx, Postgres alone on its write (info)", pipe.get("events_per_sec"), g("B_pg_tx"), None, "ratio"),
        ("1 B_pg_tx ÷ B_pg: the most target 1 can reach here (info)", g("B_pg_tx"), g("B_pg"), None, "ratio"),
        ("1 relay alone events/s ÷ B_js", pipe.get("relay_alone_per_sec"), g("B_js"), 0.5, "ratio"),
        ("1 relay alone, 100k backlog (target 5's) ÷ B_js (info)", bl.get("relay_per_sec"), g("B_js"), None, "ratio"),
        ("1 pipeline loss (rows − events applied)", pipe.get("loss"), None, 0, "max"),
        ("1 consumer lag back to 0 after load, ms", pipe.get("lag_to_zero_ms"), None, 10_000, "max"),
        ("2 order timeline req/s ÷ B_echo (its run)", hl.get("per_sec"),
         (hl.get("per_sec") / hl["ratio_to_echo"]) if hl.get("ratio_to_echo") else None, 0.5, "ratio"),
        ("2 order timeline req/s ÷ pgbench on its SQL at the pool size (info)", hl.get("per_sec"), hl.get("pgbench_same_sql_tps"), None, "ratio"),
        ("2 timeline p99 at 70 % ÷ echo p99", hl.get("open_p99_over_echo_p99"), None, 3.0, "max"),
        ("2 tracing at 10 % sampling (OTLP export): throughput lost vs never sampled (2 runs each: off, sampled, sampled, off)", hl.get("tracing_cost"), None, 0.15, "max"),
        ("2 timeline reads answered from memory, share of the closed loop (info)", hl.get("from_memory_share"), None, None, "max"),
        ("3 ApprovePayment req/s ÷ pgbench same SQL", ic.get("rpc_per_sec"), ic.get("pgbench_same_sql_tps"), 0.6, "ratio"),
        ("3 ApprovePayment req/s ÷ pgbench same SQL with prepared statements, as sqlx (info)", ic.get("rpc_per_sec"), ic.get("pgbench_prepared_tps"), None, "ratio"),
        ("3 ApprovePayment p99 at 70 %, ms", us_ms(ic.get("fixed_rate_p99_us")), None, 10.0, "max"),
        ("3 ApprovePayment: pgbench p99 on its SQL at the same rate, ms (info: Postgres alone)", us_ms(ic.get("pgbench_fixed_rate_p99_us")), None, None, "max"),
        ("3 StartPayment req/s ÷ pgbench same SQL (the RPC also asks Nets for the terminal's state)", ts.get("rpc_per_sec"), ts.get("pgbench_same_sql_tps"), 0.6, "ratio"),
        ("3 StartPayment p99 at 70 %, ms", us_ms(ts.get("fixed_rate_p99_us")), None, 10.0, "max"),
        ("3 StartPayment: pgbench p99 on its SQL at the same rate, ms (info: Postgres alone)", us_ms(ts.get("pgbench_fixed_rate_p99_us")), None, None, "max"),
        ("4 terminal approval → watcher p99, ms", tg.get("approval_to_watcher_p99_ms"), None, 100.0, "max"),
        (f"4 pixi change → unzer p99 at a steady {px.get('steady_rate_per_sec', 20)} orders/s, default polling, ms", px.get("steady_delay_p99_ms"), None, 5_000, "max"),
        ("4 pixi partner calls/s (orders/s × calls per order) ÷ sandbox ceiling, burst", px.get("partner_calls_ratio"), None, 0.5, "min"),
        ("4 pixi change → unzer p99, 10,000-order burst (backlog figure, info), ms", px.get("delay_p99_ms"), None, None, "max"),
        ("4 tickets/s ÷ plan rate (0.9–1.0)", tb.get("tickets_per_sec"), tb.get("allowed_tickets_per_sec"), (0.9, 1.0), "band"),
        ("4 duplicate tickets", tb.get("duplicate_tickets"), None, 0, "max"),
        ("5 backlog drain msgs/s ÷ B_cons", bl.get("per_sec"), g("B_cons"), 0.5, "ratio"),
        ("5 backlog drain msgs/s ÷ (B_pgN ÷ rows per event) (info)", bl.get("per_sec"),
         g("B_pgN") / bl["rows_per_event"] if g("B_pgN") and bl.get("rows_per_event") else None, None, "ratio"),
        ("5 backlog events applied twice or lost (5 % nak'd, stop midway)",
         None if "doubles" not in bl else bl["doubles"] + bl["lost"], None, 0, "max"),
        ("5 backlog stop mid-drain → exited, ms (grace 25 s)", bl.get("stop_ms"), None, 25_000, "max"),
        ("kit gRPC layer ÷ B_echo (info)", kit_echo.get("per_sec"), b_echo.get("per_sec"), None, "ratio"),
    ]
    rows = []
    for label, value, ceiling, goal, how in targets:
        r = ratio(value, ceiling) if ceiling else None
        if value is None:
            verdict = "not measured"
        elif goal is None:
            verdict = "info"
        elif how == "ratio":
            verdict = "–" if r is None else ("met" if r >= goal else "NOT met")
        elif how == "band":
            verdict = "–" if r is None else ("met" if goal[0] <= r <= goal[1] else "NOT met")
        elif how == "min":
            verdict = "met" if value >= goal else "NOT met"
        else:
            verdict = "met" if value <= goal else "NOT met"
        rows.append((label, value, ceiling, r, verdict))

    fmt = lambda v: "–" if v is None else (f"{v:,.0f}" if abs(v) >= 100 or v == int(v) else f"{v:,.2f}")
    md = ["# payops bench report", "", f"Host: {platform.node()} · {platform.machine()} · "
          f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores · "
          f"revision {revision()}", "",
          "## Ceilings (this run, this box)", "", "| name | what | value |", "|---|---|---|"]
    md += [f"| {n} | {w} | {fmt(v)} |" for n, w, v in ceilings]
    md += ["", "## Targets (ratios against the same run's ceilings)", "",
           "| target | value | ceiling | ratio | verdict |", "|---|---|---|---|---|"]
    md += [f"| {l} | {fmt(v)} | {fmt(c)} | {fmt(r)} | {x} |" for l, v, c, r, x in rows]
    md += ["", "## Event pipeline", ""]
    for k in ("writers", "events", "events_per_sec", "write_alone_per_sec", "write_per_sec",
              "relay_alone_per_sec", "lag_to_zero_ms", "loss"):
        if k in pipe:
            md.append(f"- {k}: {fmt(pipe[k]) if isinstance(pipe[k], float) else pipe[k]}")
    md += ["", "## gRPC echo (100 concurrent streams)", "", "| server | req/s | p50 µs | p99 µs |", "|---|---|---|---|"]
    for name, r in echo.items():
        md.append(f"| {name} | {fmt(r.get('per_sec'))} | {r.get('p50_us')} | {r.get('p99_us')} |")
    if usage:
        md += ["", "## CPU seconds and peak RSS per step", "",
               "The bench process tree runs the step's driver and, except where a service runs as its own "
               "binary (terminal-gateway, pixi-sync: their own figures follow), the service and the sandbox "
               "in-process; its peak RSS is its largest process.", "",
               "| step | wall s | bench tree CPU s | bench tree peak RSS MiB | postgres CPU s | nats-server CPU s |",
               "|---|---|---|---|---|---|"]
        for u in usage:
            md.append(f"| {u['step']} | {fmt(u.get('wall_secs'))} | {fmt(u.get('tree_cpu_secs'))} | "
                      f"{fmt(u.get('tree_peak_rss_mib'))} | {fmt(u.get('postgres_cpu_secs'))} | "
                      f"{fmt(u.get('nats-server_cpu_secs'))} |")
        own = [("terminal-gateway", tg.get("gateway_cpu_seconds"), tg.get("gateway_peak_rss_mb")),
               ("pixi-sync", px.get("pixi_sync_cpu_secs"), px.get("pixi_sync_peak_rss_mib"))]
        md += ["", "| service as its own process | CPU s | peak RSS MiB |", "|---|---|---|"]
        md += [f"| {n} | {fmt(c)} | {fmt(r)} |" for n, c, r in own if c is not None or r is not None]
    others = [r for n, r in results.items() if n not in {c[0] for c in ceilings} | {"echo", "pipeline", "host"}]
    if others:
        md += ["", "## Service benchmarks", ""]
        for r in others:
            md.append(f"- **{r['name']}**: " + ", ".join(f"{k}={v}" for k, v in r.items() if k != "name"))
    with open(md_path, "w") as f:
        f.write("\n".join(md) + "\n")
    with open(json_path, "w") as f:
        json.dump({"revision": revision(), "results": results, "usage": usage, "targets": [
            {"target": l, "value": v, "ceiling": c, "ratio": r, "verdict": x} for l, v, c, r, x in rows]}, f, indent=2)


if __name__ == "__main__":
    main(*sys.argv[1:4])
