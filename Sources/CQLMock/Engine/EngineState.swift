import Foundation
import CQLProtocol

/// Everything the engine holds, mutated only under `Engine.state`'s lock.
struct EngineState: Sendable {
    let clusterName: String
    let releaseVersion: String
    var topology: [NodeInfo] = []
    var schemaVersion = UUID()
    var keyspaces: [String: KeyspaceDef] = [:]
    var tableData: [UUID: TableData] = [:]
    /// Parsed statements by query text (parsing does not depend on the keyspace; resolution does).
    var parseCache: [String: ParsedStatement] = [:]
    static let parseCacheLimit = 4096

    init(clusterName: String, releaseVersion: String) {
        self.clusterName = clusterName; self.releaseVersion = releaseVersion
        for ks in SystemSchema.keyspaces() { keyspaces[ks.name] = ks }
    }

    mutating func parsed(_ query: String) throws(EngineError) -> ParsedStatement {
        if let p = parseCache[query] { return p }
        let p = try Parser.parse(query)
        if parseCache.count >= EngineState.parseCacheLimit { parseCache.removeAll(keepingCapacity: true) }
        parseCache[query] = p
        return p
    }

    mutating func execute(_ query: String, keyspace: String?, options: QueryOptions,
                          node: NodeInfo) throws(EngineError) -> EngineResult {
        let p = try parsed(query)
        var values = options.values
        if let names = options.names {
            values = try EngineState.reorder(values, names: names, markers: try bindNames(p, keyspace: keyspace))
        }
        let ctx = Context(keyspace: keyspace, binder: Binder(values: values), node: node)
        if values.count != p.markers.count && !(p.markers.isEmpty && values.isEmpty) {
            throw .invalid("There were \(p.markers.count) markers(?) in CQL but \(values.count) values were bound")
        }
        return try run(p.statement, ctx, options: options)
    }

    mutating func executeBatch(_ statements: [(query: String, values: [[UInt8]?])], keyspace: String?,
                               node: NodeInfo) throws(EngineError) {
        var plan: [Mutation] = []
        for s in statements {
            let p = try parsed(s.query)
            guard s.values.count == p.markers.count else {
                throw .invalid("There were \(p.markers.count) markers(?) in CQL but \(s.values.count) values were bound")
            }
            let ctx = Context(keyspace: keyspace, binder: Binder(values: s.values), node: node)
            plan += try mutations(p.statement, ctx, inBatch: true)
        }
        for m in plan { try apply(m) }
    }

    /// Positions named values in marker order.
    static func reorder(_ values: [[UInt8]?], names: [String], markers: [String]) throws(EngineError) -> [[UInt8]?] {
        var byName: [String: [UInt8]?] = [:]
        for (n, v) in zip(names, values) { byName[n.lowercased()] = v }
        var out: [[UInt8]?] = []
        for m in markers {
            guard let v = byName[m.lowercased()] else { throw .invalid("Invalid unset value for column \(m)") }
            out.append(v)
        }
        return out
    }

    mutating func run(_ st: Statement, _ ctx: Context, options: QueryOptions) throws(EngineError) -> EngineResult {
        switch st {
        case let .select(s):
            return try select(s, ctx, pageSize: options.pageSize, pagingState: options.pagingState)
        case let .insert(i):
            return try insert(i, ctx)
        case let .update(u):
            return try update(u, ctx)
        case let .delete(d):
            return try delete(d, ctx)
        case .batch:
            for m in try mutations(st, ctx, inBatch: false) { try apply(m) }
            return .void
        case let .describe(d):
            return try describe(d, ctx)
        case let .use(ks):
            guard keyspaces[ks] != nil else { throw .invalid("Keyspace '\(ks)' does not exist") }
            return .setKeyspace(ks)
        default:
            return try ddl(st, ctx)
        }
    }

    /// The mutations of a write statement (or of a batch's children) without LWT.
    mutating func mutations(_ st: Statement, _ ctx: Context, inBatch: Bool) throws(EngineError) -> [Mutation] {
        switch st {
        case let .insert(i):
            guard case .none = i.lwt else { throw .invalid("Conditional statements are not supported in batches by this mock") }
            return try planInsert(i, ctx).mutations
        case let .update(u):
            guard case .none = u.lwt else { throw .invalid("Conditional statements are not supported in batches by this mock") }
            return try planUpdate(u, ctx).mutations
        case let .delete(d):
            guard case .none = d.lwt else { throw .invalid("Conditional statements are not supported in batches by this mock") }
            return try planDelete(d, ctx).mutations
        case let .batch(children) where !inBatch:
            var out: [Mutation] = []
            for c in children { out += try mutations(c, ctx, inBatch: true) }
            return out
        default:
            throw .invalid("Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.")
        }
    }
}

/// Per-request facts a statement executes with.
struct Context {
    var keyspace: String?
    var binder: Binder
    var node: NodeInfo
}
