#!/usr/bin/env python3
"""Medians per (value size, mode, load, path) from run.sh's raw results, and the proxy's ratios to its relays."""
import json
import statistics
import sys
from collections import OrderedDict

PATHS = ("direct", "relay", "proxy", "direct-tls", "relay-tls", "proxy-tls")
LETTERS = {"direct": "a", "relay": "b", "proxy": "c", "direct-tls": "d'", "relay-tls": "e", "proxy-tls": "d"}
RATIOS = (("proxy", "relay"), ("proxy-tls", "relay-tls"))
METRICS = ("rps", "p50_us", "p99_us", "p999_us", "server_cpu_us_per_req", "client_cpu_us_per_req",
           "upstream_cpu_us_per_req")


def load(path):
    groups = OrderedDict()
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            key = (row["size"], row["mode"])
            groups.setdefault(key, OrderedDict()).setdefault(row["load"], {}).setdefault(row["path"], []).append(row)
    return groups


def median(rows, key):
    values = [r["result"][key] for r in rows if key in r["result"]]
    return statistics.median(values) if values else float("nan")


def problems(rows):
    return sum(r["result"].get(k, 0) for r in rows for k in ("errors", "unexpected", "disconnects")) \
        + sum(1 for r in rows if r["exit"] != 0)


def ratio(a, b):
    return a / b if b else float("nan")


def size_name(size):
    return f"{size // 1024} KiB" if size >= 1024 and size % 1024 == 0 else f"{size} B"


def main(path):
    head = f"{'load':<7} {'path':<15} {'req/s':>8} {'p50 µs':>9} {'p99 µs':>9} {'p99.9 µs':>9} " \
           f"{'mid µs/req':>10} {'mid MiB':>7} {'gen µs/req':>10} {'node µs/req':>11} {'err':>3} {'runs':>4}"
    for (size, mode), loads in load(path).items():
        print(f"{size_name(size)} values, {'QUERY' if mode == 'query' else 'prepared EXECUTE'}")
        print(head)
        print("-" * len(head))
        for load_name, by_path in loads.items():
            m = {}
            for p in PATHS:
                rows = by_path.get(p)
                if not rows:
                    continue
                v = m[p] = {k: median(rows, k) for k in METRICS}
                rss = max((r["result"].get("server_rss_kib", 0) for r in rows), default=0) / 1024
                label = f"({LETTERS[p]}) {p}"
                print(f"{load_name:<7} {label:<15} {v['rps']:>8.0f} {v['p50_us']:>9.1f} {v['p99_us']:>9.1f} "
                      f"{v['p999_us']:>9.1f} {v['server_cpu_us_per_req']:>10.2f} {rss:>7.1f} "
                      f"{v['client_cpu_us_per_req']:>10.2f} {v['upstream_cpu_us_per_req']:>11.2f} "
                      f"{problems(rows):>3} {len(rows):>4}")
            for top, base in RATIOS:
                if top not in m or base not in m:
                    continue
                t, b = m[top], m[base]
                label = f"{LETTERS[top]}/{LETTERS[base]}"
                print(f"{'':<7} {label:<15} {ratio(t['rps'], b['rps']):>7.2f}x {ratio(t['p50_us'], b['p50_us']):>8.2f}x "
                      f"{ratio(t['p99_us'], b['p99_us']):>8.2f}x {ratio(t['p999_us'], b['p999_us']):>8.2f}x "
                      f"{ratio(t['server_cpu_us_per_req'], b['server_cpu_us_per_req']):>9.2f}x")
        print()
    print("Medians over the repetitions. mid: the process in the middle (relay or proxy; for direct paths the")
    print("server itself: the node, or the Astra emulator = SNI front + node), CPU (utime+stime) over the window")
    print("per request, and its largest RSS. gen: the load generator. node: the cql-mock process behind (for the")
    print("TLS paths the emulator, SNI front included). err: ERROR + unexpected frames + disconnects + failed runs.")
    print("Ratios: req/s, p50, p99, p99.9, mid CPU.")


if __name__ == "__main__":
    main(sys.argv[1])
