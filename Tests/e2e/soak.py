#!/usr/bin/env python3
"""Mixed load for --duration seconds over several client connections: prepared writes and reads and
batches, while a test kills and restarts upstream nodes. Afterwards every acknowledged write is read back.

Prints `started`, then `done acked=<n> reads=<n> errors=<n> lost=<n>` (plus the first few errors).
Exit 0 when errors == 0 and lost == 0. No driver-side retries: the proxy must absorb node failures.
"""
import argparse
import random
import os
import sys
import threading
import time

from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.policies import FallthroughRetryPolicy
from cassandra.query import BatchStatement, BatchType


def make_cluster(args):
    profile = ExecutionProfile(retry_policy=FallthroughRetryPolicy(), request_timeout=20)
    return Cluster([args.host], port=args.port, execution_profiles={EXEC_PROFILE_DEFAULT: profile})


def worker(index, args, deadline, results, lock):
    cluster = make_cluster(args)
    try:
        session = cluster.connect(args.keyspace)
        insert = session.prepare("INSERT INTO kv (k, v) VALUES (?, ?)")
        insert.is_idempotent = True
        select = session.prepare("SELECT v FROM kv WHERE k = ?")
        select.is_idempotent = True
        acked, reads, errors, samples = [], 0, 0, []
        n = 0
        rng = random.Random(index)
        while time.monotonic() < deadline:
            key = index * 10_000_000 + n
            n += 1
            try:
                if n % 10 == 0:
                    batch = BatchStatement(batch_type=BatchType.LOGGED)
                    batch.is_idempotent = True
                    batch.add(insert, (key, "b%d" % key))
                    batch.add(insert, (key + 5_000_000, "b%d" % (key + 5_000_000)))
                    session.execute(batch)
                    acked += [(key, "b%d" % key), (key + 5_000_000, "b%d" % (key + 5_000_000))]
                else:
                    session.execute(insert, (key, "v%d" % key))
                    acked.append((key, "v%d" % key))
                if acked and n % 2 == 0:
                    k, v = acked[rng.randrange(len(acked))]
                    row = session.execute(select, (k,)).one()
                    if row is None or row.v != v:
                        raise AssertionError("read %d: got %r, want %r" % (k, row, v))
                    reads += 1
            except Exception as e:  # noqa: BLE001 - every failure counts
                errors += 1
                if len(samples) < 3:
                    samples.append(repr(e)[:200])
        with lock:
            results["acked"] += acked
            results["reads"] += reads
            results["errors"] += errors
            results["samples"] += samples
    finally:
        cluster.shutdown()


def main(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--keyspace", default="soak")
    args = p.parse_args(argv)
    setup = make_cluster(args)
    session = setup.connect()
    session.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}" % args.keyspace)
    session.execute("CREATE TABLE IF NOT EXISTS %s.kv (k bigint PRIMARY KEY, v text)" % args.keyspace)
    results = {"acked": [], "reads": 0, "errors": 0, "samples": []}
    lock = threading.Lock()
    deadline = time.monotonic() + args.duration
    threads = [threading.Thread(target=worker, args=(i, args, deadline, results, lock)) for i in range(args.clients)]
    print("started", flush=True)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Read back everything that was acknowledged (the test keeps all nodes up from here on), many at a
    # time: a 10-minute run acknowledges hundreds of thousands of writes.
    print("verifying %d" % len(results["acked"]), flush=True)
    check = session.prepare("SELECT v FROM %s.kv WHERE k = ?" % args.keyspace)
    lost = 0
    acked = results["acked"]
    outcomes = execute_concurrent_with_args(session, check, [(k,) for k, _ in acked], concurrency=64,
                                            raise_on_first_error=False)
    for (k, v), (success, result) in zip(acked, outcomes):
        row = result.one() if success else None
        if row is None and not success:
            try:  # a transient failure is retried once; only a missing or wrong row counts as lost
                row = session.execute(check, (k,)).one()
            except Exception:  # noqa: BLE001
                row = None
        if row is None or row.v != v:
            lost += 1
    setup.shutdown()
    print("done acked=%d reads=%d errors=%d lost=%d %s" % (
        len(results["acked"]), results["reads"], results["errors"], lost, " | ".join(results["samples"])), flush=True)
    return 0 if results["errors"] == 0 and lost == 0 and results["acked"] else 1


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # A long run leaves millions of rows and the load's driver threads behind; the interpreter's orderly
    # teardown of them took longer than the harness waits, so leave at once: everything is reported.
    os._exit(code)
