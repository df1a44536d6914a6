import Foundation
import CQLProtocol

/// A column type as written in DDL: keeps `frozen` (which `DataType` does not carry) so schema tables and
/// DESCRIBE can print it back the way Cassandra does.
indirect enum CQLType: Hashable, Sendable {
    case native(DataType)
    case list(CQLType, frozen: Bool)
    case set(CQLType, frozen: Bool)
    case map(CQLType, CQLType, frozen: Bool)
    case tuple([CQLType])
    case udt(keyspace: String, name: String, fields: [(String, CQLType)], frozen: Bool)

    static func == (a: CQLType, b: CQLType) -> Bool { a.text == b.text && a.dataType == b.dataType }
    func hash(into h: inout Hasher) { h.combine(text) }

    var dataType: DataType {
        switch self {
        case let .native(t): return t
        case let .list(e, _): return .list(e.dataType)
        case let .set(e, _): return .set(e.dataType)
        case let .map(k, v, _): return .map(k.dataType, v.dataType)
        case let .tuple(ts): return .tuple(ts.map(\.dataType))
        case let .udt(ks, name, fields, _):
            return .udt(.init(keyspace: ks, name: name, fields: fields.map { .init(name: $0.0, type: $0.1.dataType) }))
        }
    }

    var isFrozen: Bool {
        switch self {
        case .native, .tuple: return true
        case let .list(_, f), let .set(_, f), let .map(_, _, f), let .udt(_, _, _, f): return f
        }
    }

    /// Multi-cell (non-frozen) collection: supports element-wise updates.
    var isMultiCell: Bool {
        switch self {
        case let .list(_, f), let .set(_, f), let .map(_, _, f): return !f
        default: return false
        }
    }

    func frozen() -> CQLType {
        switch self {
        case let .list(e, _): return .list(e, frozen: true)
        case let .set(e, _): return .set(e, frozen: true)
        case let .map(k, v, _): return .map(k, v, frozen: true)
        case let .udt(ks, n, f, _): return .udt(keyspace: ks, name: n, fields: f, frozen: true)
        default: return self
        }
    }

    /// The type as Cassandra 4.0 prints it in system_schema.columns and DESCRIBE.
    var text: String {
        switch self {
        case let .native(t): return CQLType.nativeName(t)
        case let .list(e, f): return wrap("list<\(e.text)>", f)
        case let .set(e, f): return wrap("set<\(e.text)>", f)
        case let .map(k, v, f): return wrap("map<\(k.text), \(v.text)>", f)
        case let .tuple(ts): return "frozen<tuple<\(ts.map(\.innerText).joined(separator: ", "))>>"
        case let .udt(_, n, _, f): return wrap(CQLType.quoteIfNeeded(n), f)
        }
    }

    /// Inside a tuple, components are implicitly frozen and printed without the wrapper.
    private var innerText: String {
        if case let .tuple(ts) = self { return "tuple<\(ts.map(\.innerText).joined(separator: ", "))>" }
        return text
    }

    private func wrap(_ s: String, _ frozen: Bool) -> String { frozen ? "frozen<\(s)>" : s }

    static func nativeName(_ t: DataType) -> String {
        switch t {
        case .ascii: return "ascii"
        case .bigint: return "bigint"
        case .blob: return "blob"
        case .boolean: return "boolean"
        case .counter: return "counter"
        case .decimal: return "decimal"
        case .double: return "double"
        case .float: return "float"
        case .int: return "int"
        case .timestamp: return "timestamp"
        case .uuid: return "uuid"
        case .varchar: return "text"
        case .varint: return "varint"
        case .timeuuid: return "timeuuid"
        case .inet: return "inet"
        case .date: return "date"
        case .time: return "time"
        case .smallint: return "smallint"
        case .tinyint: return "tinyint"
        case .duration: return "duration"
        case let .custom(c): return "'\(c)'"
        case .list, .map, .set, .udt, .tuple: return "\(t)"
        }
    }

    static let nativeTypes: [String: DataType] = [
        "ascii": .ascii, "bigint": .bigint, "blob": .blob, "boolean": .boolean, "counter": .counter,
        "decimal": .decimal, "double": .double, "float": .float, "int": .int, "timestamp": .timestamp,
        "uuid": .uuid, "text": .varchar, "varchar": .varchar, "varint": .varint, "timeuuid": .timeuuid,
        "inet": .inet, "date": .date, "time": .time, "smallint": .smallint, "tinyint": .tinyint,
        "duration": .duration,
    ]

    /// Identifiers print bare when they read back the same (lower case word, not a reserved keyword).
    static func quoteIfNeeded(_ name: String) -> String {
        let ok = !name.isEmpty && name.utf8.allSatisfy { Lexer.isWordChar($0) && !($0 >= 0x41 && $0 <= 0x5A) }
            && !Lexer.isDigit(name.utf8.first!) && !Keywords.reserved.contains(name)
        return ok ? name : "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

enum Keywords {
    /// Reserved words that can't be used as bare identifiers (subset of Cassandra's reserved keywords).
    static let reserved: Set<String> = [
        "add", "allow", "alter", "and", "apply", "asc", "authorize", "batch", "begin", "by", "columnfamily",
        "create", "delete", "desc", "describe", "drop", "entries", "execute", "from", "full", "grant", "if",
        "in", "index", "infinity", "insert", "into", "keyspace", "limit", "modify", "nan", "norecursive", "not",
        "null", "of", "on", "or", "order", "primary", "rename", "revoke", "schema", "select", "set", "table",
        "to", "token", "truncate", "unlogged", "update", "use", "using", "where", "with",
    ]
}

/// A table name as written: keyspace is nil when unqualified (resolved against the session's keyspace).
struct QualifiedName: Hashable, Sendable {
    var keyspace: String?
    var name: String
}

/// A value expression in a statement.
indirect enum Term: Sendable {
    case string(String)
    case integer(String)
    case float(String)
    case boolean(Bool)
    case uuid(UUID)
    case blob([UInt8])
    case duration(String)
    case null
    case bind(Int)                     // index into the statement's bind markers
    case list([Term])
    case set([Term])
    case map([(Term, Term)])
    case tuple([Term])
    case negative(Term)
    case function(String, [Term])      // now(), uuid(), totimestamp(now()) ...
    case nan, infinity

    var kindName: String {
        switch self {
        case .string: return "STRING"
        case .integer: return "INTEGER"
        case .float, .nan, .infinity: return "FLOAT"
        case .boolean: return "BOOLEAN"
        case .uuid: return "UUID"
        case .blob: return "HEX"
        case .duration: return "DURATION"
        case .negative(let t): return t.kindName
        default: return "literal"
        }
    }
}

/// A bind marker occurrence: `?` (name nil) or `:name`.
struct BindMarker: Sendable { var name: String? }

enum RelationOp: String, Sendable {
    case eq = "=", lt = "<", gt = ">", lte = "<=", gte = ">=", neq = "!=", `in` = "IN"
    case contains = "CONTAINS", containsKey = "CONTAINS KEY"
}

struct Relation: Sendable {
    var column: String
    var op: RelationOp
    var value: Term                 // for IN: .list of terms, or a single .bind of the whole list
    var token: [String]? = nil      // `token(a, b) > x`: the partition key columns named
}

struct Condition: Sendable {        // LWT `IF col op value`
    var column: String
    var op: RelationOp
    var value: Term
}

enum LWT: Sendable {
    case none, ifNotExists, ifExists
    case conditions([Condition])
}

enum Selector: Sendable {
    case column(String)
    case countAll
    case writetime(String), ttl(String)
    case function(String, [String])
}

struct SelectItem: Sendable {
    var selector: Selector
    var alias: String?
}

struct SelectStatement: Sendable {
    var table: QualifiedName
    var items: [SelectItem]?        // nil = *
    var distinct = false
    var json = false
    var whereClause: [Relation] = []
    var orderBy: [(column: String, descending: Bool)] = []
    var limit: Term?
    var perPartitionLimit: Term?
    var allowFiltering = false
}

struct InsertStatement: Sendable {
    var table: QualifiedName
    var columns: [String]
    var values: [Term]
    var lwt: LWT = .none
    var ttl: Term?
    var timestamp: Term?
}

enum Assignment: Sendable {
    case set(String, Term)                     // c = v
    case add(String, Term)                     // c = c + v
    case prepend(String, Term)                 // c = v + c
    case subtract(String, Term)                // c = c - v
    case setElement(String, Term, Term)        // c[k] = v
}

struct UpdateStatement: Sendable {
    var table: QualifiedName
    var assignments: [Assignment]
    var whereClause: [Relation]
    var lwt: LWT = .none
    var ttl: Term?
    var timestamp: Term?
}

enum DeleteTarget: Sendable {
    case column(String)
    case element(String, Term)
}

struct DeleteStatement: Sendable {
    var table: QualifiedName
    var targets: [DeleteTarget]                // empty = whole row(s)
    var whereClause: [Relation]
    var lwt: LWT = .none
    var timestamp: Term?
}

struct ColumnDef: Sendable {
    var name: String
    var type: TypeSyntax
    var isStatic: Bool
}

struct CreateTableStatement: Sendable {
    var table: QualifiedName
    var ifNotExists: Bool
    var columns: [ColumnDef]
    var partitionKey: [String]
    var clusteringKey: [String]
    var clusteringOrder: [String: Bool]        // column -> descending
    var options: [String: Term]
}

/// A type as parsed, before user type names are resolved against a keyspace.
indirect enum TypeSyntax: Sendable {
    case native(DataType)
    case list(TypeSyntax), set(TypeSyntax), map(TypeSyntax, TypeSyntax), tuple([TypeSyntax])
    case frozen(TypeSyntax)
    case user(QualifiedName)
}

enum DescribeTarget: Sendable {
    case keyspaces, tables, types, functions, aggregates
    case cluster
    case schema(full: Bool)
    case keyspace(String?, only: Bool)
    case table(QualifiedName)
    case type(QualifiedName)
    case generic(QualifiedName)                // DESCRIBE name: keyspace, else table/view/index
    case other(String, QualifiedName)          // index, materialized view, function, aggregate
}

enum AlterTableAction: Sendable {
    case add([ColumnDef])
    case drop([String])
    case with([String: Term])
}

enum Statement: Sendable {
    case createKeyspace(name: String, ifNotExists: Bool, options: [String: Term])
    case alterKeyspace(name: String, options: [String: Term])
    case dropKeyspace(name: String, ifExists: Bool)
    case use(String)
    case createTable(CreateTableStatement)
    case alterTable(QualifiedName, AlterTableAction)
    case createType(name: QualifiedName, ifNotExists: Bool, fields: [(String, TypeSyntax)])
    case dropType(QualifiedName, ifExists: Bool)
    case dropTable(QualifiedName, ifExists: Bool)
    case truncate(QualifiedName)
    case insert(InsertStatement)
    case update(UpdateStatement)
    case delete(DeleteStatement)
    case select(SelectStatement)
    case batch([Statement])
    case describe(DescribeTarget)
}

/// A parsed statement with its bind markers, as cached by query text.
struct ParsedStatement: Sendable {
    var statement: Statement
    var markers: [BindMarker]
}
