#!/usr/bin/env python3
"""cqlsh against an endpoint already populated by scenario.py (same --keyspace/--table).

Runs `cqlsh H P -e ...` for DESCRIBE KEYSPACES, DESCRIBE TABLE ks.t and SELECT * FROM ks.t and checks that
the output names the keyspace, the columns with their types, and the row values. Prints `OK` or exits 1.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import e2e_data as data


def cqlsh(args, statement, home):
    cmd = [sys.executable, "-m", "cqlshlib", args.host, str(args.port), "--request-timeout", "10",
           "--connect-timeout", "10", "-e", statement]
    if args.username is not None:
        cmd += ["-u", args.username, "-p", args.password or ""]
    env = dict(os.environ, HOME=home, CQLSH_NO_BUNDLED="1", PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def main(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--keyspace", default="e2e_ks")
    p.add_argument("--table", default="alltypes")
    p.add_argument("--username")
    p.add_argument("--password")
    p.add_argument("--timeout", type=float, default=30)
    args = p.parse_args(argv)
    ks, table = args.keyspace, args.table
    failures = []

    def expect(statement, needles, home):
        code, out, err = cqlsh(args, statement, home)
        if code != 0 or err.strip():
            failures.append("%r: exit %d, stderr: %s" % (statement, code, err.strip()))
        for needle in needles:
            if needle not in out:
                failures.append("%r: output lacks %r\n--- output ---\n%s" % (statement, needle, out))
        return out

    with tempfile.TemporaryDirectory() as home:
        expect("DESCRIBE KEYSPACES", [ks, "system"], home)
        column_lines = ["%s %s" % (n, t) for n, t in data.COLUMNS]
        expect("DESCRIBE TABLE %s.%s" % (ks, table), ["CREATE TABLE %s.%s" % (ks, table)] + column_lines, home)
        row = data.expected_row(2)
        values = [row["name"], str(row["big"]), "row-5", "%d" % row["huge"], "12347.6789", str(row["uid"]),
                  "10.0.0.2", "2024-03-01", "0x0200ff8006", "(%d rows)" % data.ROW_COUNT]
        expect("SELECT * FROM %s.%s" % (ks, table), values, home)

    if failures:
        for f in failures:
            print("FAIL: %s" % f, file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
