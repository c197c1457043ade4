#!/usr/bin/env python3
"""Turns the JSON lines of one `make bench` run into target/bench-report.{md,json}.

Every target is a ratio against a ceiling measured in the same run on the same box
(docs/benchmarks.md)."""
import json
import platform
import subprocess
import sys


def main(raw_path, md_path, json_path):
    results = {}
    with open(raw_path) as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
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
        ("B_js", "JetStream acked publishes/s, 128 B, 256 in flight", g("B_js")),
        ("B_js_rtt", "one publish waiting for its ack (µs)", g("B_js_rtt", "rtt_us")),
        ("B_cons", "durable pull consumer, explicit ack, msgs/s", g("B_cons")),
        ("B_echo", "tonic unary echo on one core, req/s (100 streams)", b_echo.get("per_sec")),
    ]

    def ratio(a, b):
        return None if not a or not b else a / b

    targets = [
        ("pipeline events/s ÷ B_pg (≥ 0.5)", pipe.get("events_per_sec"), g("B_pg"), 0.5),
        ("relay alone ÷ B_js (≥ 0.5)", pipe.get("relay_alone_per_sec"), g("B_js"), 0.5),
        ("kit gRPC layer ÷ B_echo (info)", kit_echo.get("per_sec"), b_echo.get("per_sec"), None),
    ]
    rows = []
    for label, value, ceiling, goal in targets:
        r = ratio(value, ceiling)
        verdict = "" if goal is None or r is None else ("met" if r >= goal else "NOT met")
        rows.append((label, value, ceiling, r, verdict))

    fmt = lambda v: "–" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:,.2f}")
    md = ["# payops bench report", "", f"Host: {platform.node()} · {platform.machine()} · "
          f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores", "",
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
    others = [r for n, r in results.items() if n not in {c[0] for c in ceilings} | {"echo", "pipeline"}]
    if others:
        md += ["", "## Service benchmarks", ""]
        for r in others:
            md.append(f"- **{r['name']}**: " + ", ".join(f"{k}={v}" for k, v in r.items() if k != "name"))
    with open(md_path, "w") as f:
        f.write("\n".join(md) + "\n")
    with open(json_path, "w") as f:
        json.dump({"results": results, "targets": [
            {"target": l, "value": v, "ceiling": c, "ratio": r, "verdict": x} for l, v, c, r, x in rows]}, f, indent=2)


if __name__ == "__main__":
    main(*sys.argv[1:4])
