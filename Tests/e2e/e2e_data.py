"""Rows the end-to-end scripts write and expect back; shared so scenario.py and cqlsh_checks.py agree."""
import datetime
import decimal
import uuid

from cassandra.util import Date, Time

ROW_COUNT = 12
PAGED_ROWS = 47
PAGE_SIZE = 10
NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")

# (name, CQL type): 16 types, three of them collections.
COLUMNS = [
    ("id", "int"),
    ("big", "bigint"),
    ("name", "text"),
    ("flag", "boolean"),
    ("score", "double"),
    ("uid", "uuid"),
    ("created", "timestamp"),
    ("payload", "blob"),
    ("nums", "list<int>"),
    ("attrs", "map<text, int>"),
    ("tags", "set<text>"),
    ("price", "decimal"),
    ("huge", "varint"),
    ("addr", "inet"),
    ("day", "date"),
    ("tod", "time"),
]
COLUMN_NAMES = [name for name, _ in COLUMNS]


def create_table_cql(keyspace, table):
    cols = ", ".join("%s %s" % (n, t) for n, t in COLUMNS)
    return "CREATE TABLE %s.%s (%s, PRIMARY KEY (id))" % (keyspace, table, cols)


def row_name(i):
    return "row-%d héllo ✓" % i


def expected_row(i):
    """Values as the driver returns them (after normalisation by `normalise`)."""
    if i == ROW_COUNT - 1:
        # One row of nulls: every non-key column absent.
        return {name: None for name in COLUMN_NAMES} | {"id": i}
    sign = -1 if i % 2 else 1
    return {
        "id": i,
        "big": sign * (2 ** 62 - i),
        "name": row_name(i),
        "flag": i % 2 == 0,
        "score": i * 1.5 + 0.25,
        "uid": uuid.uuid5(NAMESPACE, str(i)),
        "created": datetime.datetime(2024, 1, 2, 3, 4, 5, 1000 * (i * 7 % 1000)),
        "payload": bytes([i, 0, 255, 128, i * 3 % 256]),
        "nums": [i, -i, 2 ** 31 - 1],
        "attrs": {"a": i, "b": -i, "ζ": 42},
        "tags": {"x", "t%d" % i},
        "price": decimal.Decimal("12345.6789") + i,
        "huge": sign * (2 ** 80 + i),
        "addr": "10.0.0.%d" % i if i % 3 else "2001:db8::%x" % (i + 1),
        "day": datetime.date(2024, 2, 28) + datetime.timedelta(days=i),
        "tod": datetime.time(12, 34, 56, 1000 * i),
    }


def bind_values(row):
    """Python values to bind/interpolate for an expected row, in COLUMNS order."""
    return [row[name] for name in COLUMN_NAMES]


def normalise(name, value):
    """Turns driver result types into the plain Python types of `expected_row`."""
    if value is None:
        return None
    if isinstance(value, Date):
        return value.date()
    if isinstance(value, Time):
        return value.time()
    if name == "attrs":
        return dict(value)
    if name == "tags":
        return set(value)
    if name == "nums":
        return list(value)
    return value
