#!/usr/bin/env python3
"""Schema changes reach other clients through events, and schema agreement works, through the proxy.

Session A (schema metadata on) creates a keyspace and a table; the driver waits for schema agreement
(it would raise or warn otherwise). Cluster B, connected before the DDL, must see the new keyspace, then the
new table, in its metadata without any manual refresh: only the SCHEMA_CHANGE events pushed on its control
connection can tell it. Prints OK, or FAIL: ... and exits 1.

The table is created once B has seen the keyspace: the driver refreshes each event on its own executor
thread, so a table event handled before its keyspace's is dropped (the keyspace is not in B's metadata yet)
and the later keyspace refresh brings no tables. That race is the driver's, on a real cluster too.
"""
import argparse
import sys
import time

from cassandra.cluster import Cluster


def wait_until(condition, timeout):
    """The driver exposes no hook for "metadata refreshed", so its metadata is read every 50 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def main(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--keyspace", default="events_ks")
    p.add_argument("--timeout", type=float, default=20.0)
    args = p.parse_args(argv)
    watcher = Cluster([args.host], port=args.port, schema_event_refresh_window=0.1)
    author = Cluster([args.host], port=args.port, max_schema_agreement_wait=10)
    try:
        watcher.connect()
        session = author.connect()
        ks = args.keyspace
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)
        session.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
        if not wait_until(lambda: watcher.metadata.keyspaces.get(ks) is not None, args.timeout):
            print("FAIL: the watcher never saw keyspace %s (keyspaces: %s)" % (ks, sorted(watcher.metadata.keyspaces)))
            return 1
        result = session.execute("CREATE TABLE %s.evt (k int PRIMARY KEY, v text)" % ks)
        if not result.response_future.is_schema_agreed:
            print("FAIL: schema agreement not reached after DDL")
            return 1
        if "evt" not in author.metadata.keyspaces[ks].tables:
            print("FAIL: the author's own metadata lacks the table")
            return 1
        def has_table():
            keyspace = watcher.metadata.keyspaces.get(ks)
            return keyspace is not None and "evt" in keyspace.tables
        if wait_until(has_table, args.timeout):
            print("OK")
            return 0
        print("FAIL: the watcher never saw %s.evt (keyspaces: %s)" % (ks, sorted(watcher.metadata.keyspaces)))
        return 1
    finally:
        author.shutdown()
        watcher.shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
