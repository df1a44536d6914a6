#!/usr/bin/env python3
"""Prepared, idempotent SELECTs in a loop for --duration seconds; counts client-visible errors.

Prints `started` once the load runs (a test then stops and restarts a node), and at the end
`done ok=<n> errors=<m>` (and the first few errors). Exit 0 when errors == 0.
"""
import argparse
import sys
import time

from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import FallthroughRetryPolicy


def main(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--duration", type=float, default=6.0)
    p.add_argument("--keyspace", default="load_ks")
    args = p.parse_args(argv)
    # No driver-side retries: any failure the proxy lets through reaches the application and is counted.
    profile = ExecutionProfile(retry_policy=FallthroughRetryPolicy(), request_timeout=10)
    cluster = Cluster([args.host], port=args.port, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    try:
        session = cluster.connect()
        ks = args.keyspace
        session.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
        session.execute("CREATE TABLE IF NOT EXISTS %s.kv (k int PRIMARY KEY, v text)" % ks)
        for k in range(20):
            session.execute("INSERT INTO %s.kv (k, v) VALUES (%d, 'v%d')" % (ks, k, k))
        select = session.prepare("SELECT v FROM %s.kv WHERE k = ?" % ks)
        select.is_idempotent = True
        ok, errors, samples = 0, 0, []
        print("started", flush=True)
        deadline = time.monotonic() + args.duration
        k = 0
        while time.monotonic() < deadline:
            futures = [session.execute_async(select, ((k + i) % 20,)) for i in range(8)]
            for i, future in enumerate(futures):
                try:
                    row = future.result().one()
                    if row is None or row.v != "v%d" % ((k + i) % 20):
                        raise AssertionError("wrong row %r" % (row,))
                    ok += 1
                except Exception as e:  # noqa: BLE001 - every failure is what we count
                    errors += 1
                    if len(samples) < 5:
                        samples.append(repr(e))
            k += 8
        print("done ok=%d errors=%d %s" % (ok, errors, " | ".join(samples)), flush=True)
        return 0 if errors == 0 and ok > 0 else 1
    finally:
        cluster.shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
