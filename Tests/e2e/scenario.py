#!/usr/bin/env python3
"""End-to-end scenario with the DataStax Python driver at its default settings.

Against a CQL endpoint (the mock cluster directly, or the proxy in front of it): negotiates the protocol
version, creates a keyspace and a table of 16 types, writes rows through simple statements, prepared
statements and a logged batch, reads every value back, pages through a larger table, and prints `OK`.
Exits 1 with `FAIL: ...` on any mismatch, 2 on an unexpected exception.
"""
import argparse
import logging
import sys
import traceback

from cassandra import ConsistencyLevel
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster
from cassandra.query import BatchStatement, BatchType, SimpleStatement

import e2e_data as data


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--protocol-version", type=int, default=None,
                   help="force this version; by default the driver negotiates down from its maximum")
    p.add_argument("--expect-protocol", type=int, default=None,
                   help="version the session must end on (default: --protocol-version, else 4)")
    p.add_argument("--keyspace", default="e2e_ks")
    p.add_argument("--table", default="alltypes")
    p.add_argument("--username")
    p.add_argument("--password")
    p.add_argument("--compression", choices=["lz4", "snappy", "none"], default=None,
                   help="force this frame compression (checked on every connection); 'none' turns it off; "
                        "by default the driver picks lz4 if both ends offer it")
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


def make_cluster(args):
    kwargs = {"contact_points": [args.host], "port": args.port}
    if args.protocol_version is not None:
        kwargs["protocol_version"] = args.protocol_version
    if args.username is not None:
        kwargs["auth_provider"] = PlainTextAuthProvider(args.username, args.password or "")
    if args.compression is not None:
        kwargs["compression"] = False if args.compression == "none" else args.compression
    return Cluster(**kwargs)


def check_compression(cluster, wanted):
    # The driver silently runs uncompressed when the server offers no algorithm at all, so look at what
    # each connection (control and pools) actually agreed in STARTUP.
    want = None if wanted == "none" else wanted
    conns = [c for holder in cluster.get_connection_holders() for c in holder.get_connections()]
    check(conns, "no open connections to check compression on")
    for c in conns:
        got = c._compression_type
        check(got == want, "connection %s negotiated compression %r, want %r" % (c.endpoint, got, want))
        check((c.compressor is not None) == (want is not None), "connection %s compressor not enabled" % c.endpoint)
    return len(conns)


def compare_row(row, expected, how):
    for name in data.COLUMN_NAMES:
        got = data.normalise(name, getattr(row, name))
        want = expected[name]
        check(got == want, "%s: row id=%s column %s: got %r, want %r" % (how, expected["id"], name, got, want))


def write_rows(session, ks, table):
    cols = ", ".join(data.COLUMN_NAMES)
    marks = ", ".join(["%s"] * len(data.COLUMN_NAMES))
    qmarks = ", ".join(["?"] * len(data.COLUMN_NAMES))
    insert_simple = "INSERT INTO %s.%s (%s) VALUES (%s)" % (ks, table, cols, marks)
    # Rows 0-3: simple statements, values interpolated into the CQL text by the driver.
    for i in range(0, 4):
        session.execute(insert_simple, data.bind_values(data.expected_row(i)))
    # Rows 4-7: a prepared statement, values bound.
    prepared = session.prepare("INSERT INTO %s.%s (%s) VALUES (%s)" % (ks, table, cols, qmarks))
    check(len(prepared.column_metadata) == len(data.COLUMNS),
          "prepared INSERT has %d bind markers, want %d" % (len(prepared.column_metadata), len(data.COLUMNS)))
    for i in range(4, 8):
        session.execute(prepared, data.bind_values(data.expected_row(i)))
    # Rows 8-11: one logged batch mixing prepared children and a simple one (row 11: all nulls).
    batch = BatchStatement(batch_type=BatchType.LOGGED, consistency_level=ConsistencyLevel.QUORUM)
    for i in range(8, 10):
        batch.add(prepared, data.bind_values(data.expected_row(i)))
    batch.add(SimpleStatement(insert_simple), data.bind_values(data.expected_row(10)))
    batch.add(prepared, data.bind_values(data.expected_row(11)))
    session.execute(batch)


def read_rows(session, ks, table):
    # Every row by key through a prepared SELECT.
    select_one = session.prepare("SELECT * FROM %s.%s WHERE id = ?" % (ks, table))
    for i in range(data.ROW_COUNT):
        rows = list(session.execute(select_one, [i]))
        check(len(rows) == 1, "prepared SELECT id=%d returned %d rows" % (i, len(rows)))
        compare_row(rows[0], data.expected_row(i), "prepared select")
    # The whole table through a simple SELECT.
    rows = list(session.execute("SELECT * FROM %s.%s" % (ks, table)))
    check(len(rows) == data.ROW_COUNT, "SELECT * returned %d rows, want %d" % (len(rows), data.ROW_COUNT))
    check([c for c in rows[0]._fields] == data.COLUMN_NAMES or set(rows[0]._fields) == set(data.COLUMN_NAMES),
          "SELECT * columns %r, want %r" % (rows[0]._fields, data.COLUMN_NAMES))
    by_id = {r.id: r for r in rows}
    check(sorted(by_id) == list(range(data.ROW_COUNT)), "SELECT * ids %r" % sorted(by_id))
    for i in range(data.ROW_COUNT):
        compare_row(by_id[i], data.expected_row(i), "select *")


def update_and_delete(session, table):
    session.execute("UPDATE %s SET name = %%s WHERE id = %%s" % table, ["renamed", 3])
    row = session.execute("SELECT name FROM %s WHERE id = 3" % table).one()
    check(row is not None and row.name == "renamed", "UPDATE not visible: %r" % (row,))
    session.execute("UPDATE %s SET name = %%s WHERE id = %%s" % table, [data.row_name(3), 3])
    session.execute("INSERT INTO %s (id, name) VALUES (1000, 'doomed')" % table)
    session.execute("DELETE FROM %s WHERE id = 1000" % table)
    check(session.execute("SELECT * FROM %s WHERE id = 1000" % table).one() is None, "DELETE did not remove id=1000")


def paging(session, table):
    paged = table + "_paged"
    session.execute("CREATE TABLE %s (id int PRIMARY KEY, v text)" % paged)
    insert = session.prepare("INSERT INTO %s (id, v) VALUES (?, ?)" % paged)
    for i in range(data.PAGED_ROWS):
        session.execute(insert, [i, "value-%d" % i])
    statement = SimpleStatement("SELECT id, v FROM %s" % paged, fetch_size=data.PAGE_SIZE)
    seen, pages, state = [], 0, None
    while True:
        result = session.execute(statement, paging_state=state)
        page = result.current_rows
        check(len(page) <= data.PAGE_SIZE, "page %d has %d rows, fetch_size %d" % (pages, len(page), data.PAGE_SIZE))
        seen.extend(page)
        pages += 1
        state = result.paging_state
        if not state:
            break
        check(pages < 100, "paging does not end")
    want_pages = -(-data.PAGED_ROWS // data.PAGE_SIZE)
    check(pages >= want_pages, "paging took %d pages, want at least %d" % (pages, want_pages))
    ids = sorted(r.id for r in seen)
    check(ids == list(range(data.PAGED_ROWS)), "paged ids %r" % ids)
    check(all(r.v == "value-%d" % r.id for r in seen), "paged values differ")
    # The driver's own iteration over pages must see the same rows.
    iterated = [r.id for r in session.execute(statement)]
    check(sorted(iterated) == ids, "iterating the paged result saw %d rows" % len(iterated))
    return pages


def run(args):
    expect = args.expect_protocol or args.protocol_version or 4
    cluster = make_cluster(args)
    try:
        session = cluster.connect()
        check(cluster.protocol_version == expect,
              "negotiated protocol v%s, want v%d" % (cluster.protocol_version, expect))
        ks, table = args.keyspace, args.table
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)
        session.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
        session.execute(data.create_table_cql(ks, table))
        check(ks in cluster.metadata.keyspaces, "keyspace %s missing from driver metadata" % ks)
        write_rows(session, ks, table)
        read_rows(session, ks, table)
        # A session bound to the keyspace (USE on every connection).
        ks_session = cluster.connect(ks)
        update_and_delete(ks_session, table)
        pages = paging(ks_session, table)
        compression = ""
        if args.compression is not None:
            compression = ", compression %s on %d connections" % (args.compression, check_compression(cluster, args.compression))
        print("protocol v%d, %d rows, %d pages%s" % (cluster.protocol_version, data.ROW_COUNT, pages, compression))
    finally:
        cluster.shutdown()
    print("OK")


def main(argv):
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR)
    try:
        run(args)
    except Failure as f:
        print("FAIL: %s" % f, file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        print("FAIL: unexpected exception", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
