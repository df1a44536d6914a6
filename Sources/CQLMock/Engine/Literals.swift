import Foundation
import CQLProtocol

/// Turns terms into serialized values of a column's type, refusing mismatches the way Cassandra does
/// ("Invalid STRING constant (x) for "c" of type int").
struct Binder {
    var values: [[UInt8]?]

    func invalid(_ t: Term, _ text: String, _ col: String, _ type: CQLType) -> EngineError {
        .invalid("Invalid \(t.kindName) constant (\(text)) for \"\(col)\" of type \(type.text)")
    }

    /// The serialized value (nil = null) of `t` for a receiver named `col` of type `type`.
    func encode(_ t: Term, _ type: CQLType, _ col: String) throws(EngineError) -> [UInt8]? {
        if case let .bind(i) = t { return try bound(i, type, col) }
        let v = try value(t, type, col)
        return try Binder.serialize(v, type)
    }

    static func serialize(_ v: CQLValue, _ type: CQLType) throws(EngineError) -> [UInt8]? {
        do {
            return try v.encode(as: type.dataType)
        } catch {
            throw .invalid("Invalid value for type \(type.text): \(error)")
        }
    }

    static func deserialize(_ b: [UInt8]?, _ type: CQLType) throws(EngineError) -> CQLValue {
        do {
            return try CQLValue.decode(b, as: type.dataType, version: .v4)
        } catch {
            throw .invalid("Invalid serialized value for type \(type.text): \(error)")
        }
    }

    /// A bound value, checked for the fixed widths so a bad client value is an error, not corrupt data.
    func bound(_ i: Int, _ type: CQLType, _ col: String) throws(EngineError) -> [UInt8]? {
        guard i < values.count else {
            throw .invalid("There were \(values.count) markers(?) in CQL but \(i + 1) or more values were bound")
        }
        guard let b = values[i] else { return nil }
        let width: Int?
        switch type.dataType {
        case .int, .date: width = 4
        case .bigint, .counter, .timestamp, .time: width = 8
        case .smallint: width = 2
        case .tinyint, .boolean: width = 1
        case .double: width = 8
        case .float: width = 4
        case .uuid, .timeuuid: width = 16
        default: width = nil
        }
        if let w = width, b.count != w, !b.isEmpty {
            throw .invalid("Expected \(w) or 0 byte value for \(col) of type \(type.text) (got \(b.count))")
        }
        if type.isMultiCell || type.dataType.isCollection {
            // Normalize sets and maps (sorted, deduplicated) as Cassandra stores them.
            let v = try Binder.deserialize(b, type)
            return try Binder.serialize(Binder.normalize(v, type), type)
        }
        return b
    }

    func value(_ t: Term, _ type: CQLType, _ col: String) throws(EngineError) -> CQLValue {
        switch t {
        case .null:
            return .null
        case let .bind(i):
            return try Binder.deserialize(try bound(i, type, col), type)
        case let .function(name, args):
            return try function(name, args, type, col)
        default:
            break
        }
        switch type {
        case let .native(d):
            return try native(t, d, type, col)
        case let .list(e, _):
            guard case let .list(items) = t else { throw .invalid("Invalid \(t.kindName == "literal" ? "collection" : t.kindName) literal for \(col) of type \(type.text)") }
            var out: [CQLValue] = []
            for x in items {
                if case .null = x { throw .invalid("null is not supported inside collections") }
                out.append(try value(x, e, col))
            }
            return .list(out)
        case let .set(e, _):
            let items: [Term]
            switch t {
            case let .set(s): items = s
            case let .map(m) where m.isEmpty: items = []
            default: throw .invalid("Invalid set literal for \(col) of type \(type.text)")
            }
            var out: [CQLValue] = []
            for x in items {
                if case .null = x { throw .invalid("null is not supported inside collections") }
                out.append(try value(x, e, col))
            }
            return try Binder.normalize(.list(out), type)
        case let .map(kt, vt, _):
            guard case let .map(pairs) = t else { throw .invalid("Invalid map literal for \(col) of type \(type.text)") }
            var out: [(key: CQLValue, value: CQLValue)] = []
            for (k, v) in pairs { out.append((try value(k, kt, col), try value(v, vt, col))) }
            return try Binder.normalize(.map(out), type)
        case let .tuple(ts):
            guard case let .tuple(items) = t, items.count <= ts.count else {
                throw .invalid("Invalid tuple literal for \(col): expected \(ts.count) components")
            }
            var out: [CQLValue] = []
            for (i, x) in items.enumerated() { out.append(try value(x, ts[i], col)) }
            return .tuple(out)
        case let .udt(_, name, fields, _):
            guard case let .map(pairs) = t else { throw .invalid("Invalid user type literal for \(col) of type \(name)") }
            var byName: [String: Term] = [:]
            for (k, v) in pairs {
                guard case let .string(f) = k, fields.contains(where: { $0.0 == f }) else {
                    throw .invalid("Unknown field in user type literal for \(col) of type \(name)")
                }
                byName[f] = v
            }
            var out: [CQLValue] = []
            for (f, ft) in fields { out.append(try byName[f].map { (x: Term) throws(EngineError) in try value(x, ft, col) } ?? .null) }
            return .tuple(out)
        }
    }

    /// Sets sorted and deduplicated, maps sorted by key (last write wins), both by the element type's order.
    static func normalize(_ v: CQLValue, _ type: CQLType) throws(EngineError) -> CQLValue {
        switch (v, type) {
        case let (.list(items), .set(e, _)):
            var enc: [([UInt8], CQLValue)] = []
            for x in items { enc.append((try serialize(x, e) ?? [], x)) }
            enc.sort { ValueOrder.compare($0.0, $1.0, e.dataType) < 0 }
            var out: [CQLValue] = []
            var last: [UInt8]?
            for (b, x) in enc where b != last { out.append(x); last = b }
            return .list(out)
        case let (.map(pairs), .map(kt, _, _)):
            var enc: [([UInt8], (key: CQLValue, value: CQLValue))] = []
            for p in pairs { enc.append((try serialize(p.key, kt) ?? [], p)) }
            // stable sort keeps insertion order among equal keys; keep the last one
            let sorted = enc.enumerated().sorted {
                let c = ValueOrder.compare($0.element.0, $1.element.0, kt.dataType)
                return c != 0 ? c < 0 : $0.offset < $1.offset
            }
            var out: [(key: CQLValue, value: CQLValue)] = []
            var last: [UInt8]?
            for (_, e) in sorted {
                if e.0 == last { out[out.count - 1] = e.1 } else { out.append(e.1) }
                last = e.0
            }
            return .map(out)
        default:
            return v
        }
    }
}

extension DataType {
    var isCollection: Bool {
        switch self {
        case .list, .set, .map: return true
        default: return false
        }
    }
}
