#!/usr/bin/env python3
"""The Python driver's cloud path (secure-connect bundle) against an Astra endpoint, end to end.

Connects with `Cluster(cloud={'secure_connect_bundle': PATH}, auth_provider=PlainTextAuthProvider('token', T))`
and otherwise the driver's defaults (protocol negotiation included), asks every discovered node for its own
host_id through the SNI front (each answer must be that node's), then creates a keyspace and a table, inserts
and reads back (one value of 3 MB). Prints `OK v<N> hosts=<n> ...` and exits 0; exit 3 with
`AUTH_FAILED: ...` when the credentials were refused; exit 2 on any other error.
"""
import argparse
import os
import sys
import uuid

from cassandra import AuthenticationFailed
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster, NoHostAvailable
from cassandra.connection import SniEndPoint


def check(session, cluster, keyspace):
    hosts = sorted(cluster.metadata.all_hosts(), key=lambda h: str(h.host_id))
    for host in hosts:
        if not isinstance(host.endpoint, SniEndPoint):
            raise AssertionError("host %s has endpoint %r, not an SNI endpoint" % (host, host.endpoint))
        if not host.is_up:
            raise AssertionError("host %s is not up" % host)
        # Routed by SNI name: the node that answers must be the one the name designates.
        row = session.execute("SELECT host_id, data_center FROM system.local", host=host).one()
        if str(row.host_id) != str(host.host_id):
            raise AssertionError("asked %s through SNI, answered by %s" % (host.host_id, row.host_id))

    session.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
                    "{'class': 'NetworkTopologyStrategy', '%s': 3}" % (keyspace, hosts[0].datacenter))
    session.execute("CREATE TABLE IF NOT EXISTS %s.items (id uuid PRIMARY KEY, name text, n int)" % keyspace)
    ids = [uuid.uuid4() for _ in range(10)]
    insert = session.prepare("INSERT INTO %s.items (id, name, n) VALUES (?, ?, ?)" % keyspace)
    for i, item in enumerate(ids):
        session.execute(insert, (item, "item-%d" % i, i))
    select = session.prepare("SELECT name, n FROM %s.items WHERE id = ?" % keyspace)
    for i, item in enumerate(ids):
        row = session.execute(select, (item,)).one()
        if row is None or row.name != "item-%d" % i or row.n != i:
            raise AssertionError("read back %r for item %d" % (row, i))
    count = session.execute("SELECT count(*) FROM %s.items" % keyspace).one()[0]
    if count != len(ids):
        raise AssertionError("count(*) = %d, expected %d" % (count, len(ids)))

    # Frames of several MB each way: past the relay's high-water mark, so back-pressure is exercised.
    big = os.urandom(3 << 19).hex()
    big_id = uuid.uuid4()
    session.execute(insert, (big_id, big, -1))
    row = session.execute(select, (big_id,)).one()
    if row is None or row.name != big:
        raise AssertionError("the %d-byte value came back different" % len(big))
    return hosts


def main(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bundle", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--keyspace", default="cloud_check")
    args = p.parse_args(argv)
    cluster = Cluster(cloud={"secure_connect_bundle": args.bundle, "connect_timeout": 10},
                      auth_provider=PlainTextAuthProvider("token", args.token))
    try:
        # Pools for every host before asking each one directly (connect() otherwise returns after the first).
        session = cluster.connect(wait_for_all_pools=True)
        hosts = check(session, cluster, args.keyspace)
        print("OK v%d hosts=%d dc=%s endpoints=%s" % (
            cluster.protocol_version, len(hosts), hosts[0].datacenter,
            ",".join(sorted(str(h.endpoint) for h in hosts))))
        return 0
    except NoHostAvailable as e:
        errors = list(e.errors.values())
        if errors and all(isinstance(x, AuthenticationFailed) for x in errors):
            print("AUTH_FAILED: %s" % errors[0])
            return 3
        print("ERROR: %r" % (e,), file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - anything else is a plain failure, with its message
        print("ERROR: %r" % (e,), file=sys.stderr)
        return 2
    finally:
        cluster.shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
