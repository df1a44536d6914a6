#!/usr/bin/env python3
"""Connects with the Python driver (optionally with credentials), runs one query and reports the outcome.

Exit 0 and `CONNECTED v<N> <release_version>` on success; exit 3 and `AUTH_FAILED: ...` when the server
rejected the credentials; exit 2 on any other error.
"""
import argparse
import sys

from cassandra import AuthenticationFailed
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster, NoHostAvailable


def main(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--username")
    p.add_argument("--password")
    p.add_argument("--protocol-version", type=int)
    p.add_argument("--ssl-ca", help="connect with TLS, trusting this CA file (and checking the host name)")
    args = p.parse_args(argv)
    kwargs = {"contact_points": [args.host], "port": args.port, "connect_timeout": 5}
    if args.username is not None:
        kwargs["auth_provider"] = PlainTextAuthProvider(args.username, args.password or "")
    if args.protocol_version is not None:
        kwargs["protocol_version"] = args.protocol_version
    if args.ssl_ca is not None:
        import ssl
        context = ssl.create_default_context(cafile=args.ssl_ca)
        kwargs["ssl_context"] = context
    cluster = Cluster(**kwargs)
    try:
        session = cluster.connect()
        row = session.execute("SELECT release_version FROM system.local").one()
        print("CONNECTED v%d %s hosts=%d" % (cluster.protocol_version, row.release_version,
                                             len(cluster.metadata.all_hosts())))
        return 0
    except NoHostAvailable as e:
        errors = list(e.errors.values())
        if errors and all(isinstance(x, AuthenticationFailed) for x in errors):
            print("AUTH_FAILED: %s" % errors[0])
            return 3
        print("ERROR: %r" % (e,), file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - report anything else as a plain failure
        print("ERROR: %r" % (e,), file=sys.stderr)
        return 2
    finally:
        cluster.shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
