#!/usr/bin/env python3
"""Medians per configuration and path from run.sh's raw results, and the proxy's ratios to the baselines."""
import json
import statistics
import sys
from collections import OrderedDict

TARGETS = ("direct", "relay", "proxy")


def load(path):
    runs = OrderedDict()
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            runs.setdefault(row["config"], {}).setdefault(row["target"], []).append(row)
    return runs


def median(rows, key):
    values = [r["result"][key] for r in rows if key in r["result"]]
    return statistics.median(values) if values else float("nan")


def total(rows, key):
    return sum(r["result"].get(key, 0) for r in rows)


def ratio(a, b):
    return a / b if b else float("nan")


def main(path):
    runs = load(path)
    head = f"{'config':<8} {'path':<7} {'req/s':>9} {'p50 µs':>9} {'p99 µs':>9} {'p99.9 µs':>9} " \
           f"{'CPU µs/req':>10} {'mock CPU':>8} {'RSS MiB':>8} {'errors':>6} {'runs':>4}"
    print(head)
    print("-" * len(head))
    for config, by_target in runs.items():
        m = {}
        for target in TARGETS:
            rows = by_target.get(target, [])
            if not rows:
                continue
            m[target] = {k: median(rows, k) for k in ("rps", "p50_us", "p99_us", "p999_us", "server_cpu_us_per_req",
                                         "upstream_cpu_us_per_req")}
            rss = max((r["result"].get("server_rss_kib", 0) for r in rows), default=0) / 1024
            problems = total(rows, "errors") + total(rows, "unexpected") + total(rows, "disconnects") \
                + sum(1 for r in rows if r["exit"] != 0)
            v = m[target]
            print(f"{config:<8} {target:<7} {v['rps']:>9.0f} {v['p50_us']:>9.1f} {v['p99_us']:>9.1f} "
                  f"{v['p999_us']:>9.1f} {v['server_cpu_us_per_req']:>10.1f} {v['upstream_cpu_us_per_req']:>8.1f} {rss:>8.1f} {problems:>6} {len(rows):>4}")
        if "proxy" in m:
            for base in ("direct", "relay"):
                if base not in m:
                    continue
                p, b = m["proxy"], m[base]
                cpu = f"{ratio(p['server_cpu_us_per_req'], b['server_cpu_us_per_req']):>9.2f}x" if base == "relay" else f"{'':>10}"
                print(f"{'':<8} {'proxy/' + base:<13} {ratio(p['rps'], b['rps']):>3.2f}x {ratio(p['p50_us'], b['p50_us']):>8.2f}x "
                      f"{ratio(p['p99_us'], b['p99_us']):>8.2f}x {ratio(p['p999_us'], b['p999_us']):>8.2f}x {cpu}")
        print()
    print("CPU µs/req: utime+stime of the process in the middle (relay or proxy; for direct, the mock node itself)")
    print("over the measured window, per request; mock CPU: the same for the cql-mock node. RSS: the middle")
    print("process at the end of the window. errors: ERROR + unexpected frames + disconnects + failed runs.")


if __name__ == "__main__":
    main(sys.argv[1])
