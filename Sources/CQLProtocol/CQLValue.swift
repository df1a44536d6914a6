import Foundation

/// A decoded CQL value (spec §6). `null` is the absent value ([bytes] with length < 0).
/// The wire form of each case is fixed by the `DataType` it is encoded as, so one case may serve
/// several types (e.g. `.int` for tinyint/smallint/int/bigint/counter/timestamp/time).
public indirect enum CQLValue: Hashable, Sendable {
    case null
    case boolean(Bool)
    case int(Int64)               // tinyint, smallint, int, bigint, counter, timestamp (ms), time (ns)
    case date(UInt32)             // days, with 2^31 = 1970-01-01 (§6.4)
    case varint([UInt8])          // two's-complement big-endian, as on the wire
    case decimal(scale: Int32, unscaled: [UInt8])
    case float(Float)
    case double(Double)
    case text(String)             // ascii, varchar
    case blob([UInt8])
    case uuid(UUID)               // uuid, timeuuid
    case inet([UInt8])            // 4 or 16 address bytes
    case duration(months: Int32, days: Int32, nanoseconds: Int64)
    case list([CQLValue])         // list, set
    case map([(key: CQLValue, value: CQLValue)])
    case tuple([CQLValue])        // tuple, udt (fields in declared order; missing trailing fields are null)
    case custom([UInt8])          // opaque bytes of a custom type

    public static func == (a: CQLValue, b: CQLValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.boolean(x), .boolean(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.date(x), .date(y)): return x == y
        case let (.varint(x), .varint(y)): return x == y
        case let (.decimal(s1, u1), .decimal(s2, u2)): return s1 == s2 && u1 == u2
        case let (.float(x), .float(y)): return x.bitPattern == y.bitPattern
        case let (.double(x), .double(y)): return x.bitPattern == y.bitPattern
        case let (.text(x), .text(y)): return x == y
        case let (.blob(x), .blob(y)): return x == y
        case let (.uuid(x), .uuid(y)): return x == y
        case let (.inet(x), .inet(y)): return x == y
        case let (.duration(m1, d1, n1), .duration(m2, d2, n2)): return m1 == m2 && d1 == d2 && n1 == n2
        case let (.list(x), .list(y)): return x == y
        case let (.map(x), .map(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.tuple(x), .tuple(y)): return x == y
        case let (.custom(x), .custom(y)): return x == y
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case let .boolean(v): h.combine(v)
        case let .int(v): h.combine(v)
        case let .date(v): h.combine(v)
        case let .varint(v): h.combine(v)
        case let .decimal(s, u): h.combine(s); h.combine(u)
        case let .float(v): h.combine(v.bitPattern)
        case let .double(v): h.combine(v.bitPattern)
        case let .text(v): h.combine(v)
        case let .blob(v): h.combine(v)
        case let .uuid(v): h.combine(v)
        case let .inet(v): h.combine(v)
        case let .duration(m, d, n): h.combine(m); h.combine(d); h.combine(n)
        case let .list(v): h.combine(v)
        case let .map(v): for e in v { h.combine(e.key); h.combine(e.value) }
        case let .tuple(v): h.combine(v)
        case let .custom(v): h.combine(v)
        }
    }
}
