#!/usr/bin/env python3
"""`usage.py JSONL STEP -- COMMAND…`: runs COMMAND (its output passes through) and appends what
the step cost to JSONL as one line: wall seconds, CPU seconds and peak RSS of COMMAND's process
tree (every process it and its descendants waited for, from wait4), and the CPU seconds Postgres
and NATS used meanwhile (from /proc: each server process's own time plus that of the children it
waited for, so Postgres's finished backends count). Exits with COMMAND's status."""
import json
import os
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu(name):
    """CPU seconds so far of every process called `name`, with its waited-for children."""
    total, found = 0.0, False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != name:
                    continue
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found = True
        total += sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS
    return total if found else None


def main():
    jsonl, step, sep, *cmd = sys.argv[1:]
    assert sep == "--" and cmd, __doc__
    servers = {"postgres": server_cpu("postgres"), "nats-server": server_cpu("nats-server")}
    started = time.monotonic()
    child = subprocess.Popen(cmd)
    _, status, ru = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    line = {
        "name": "usage",
        "step": step,
        "wall_secs": round(wall, 1),
        "tree_cpu_secs": round(ru.ru_utime + ru.ru_stime, 1),
        # ru_maxrss is in KiB on Linux: the largest process of the tree.
        "tree_peak_rss_mib": round(ru.ru_maxrss / 1024, 1),
    }
    for name, before in servers.items():
        after = server_cpu(name)
        if before is not None and after is not None:
            line[f"{name}_cpu_secs"] = round(after - before, 1)
    with open(jsonl, "a") as f:
        f.write(json.dumps(line) + "\n")
    code = os.waitstatus_to_exitcode(status)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
