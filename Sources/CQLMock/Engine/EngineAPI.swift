import Posix
import Foundation
import CQLProtocol

/// Facts about one node, used for system.local / system.peers(_v2).
public struct NodeInfo: Sendable, Hashable {
    public var hostID: UUID
    public var address: String      // IPv4 dotted, e.g. "127.0.0.1"
    public var port: Int            // native transport port
    public var dataCenter: String
    public var rack: String
    public var tokens: [String]     // Murmur3 tokens as decimal strings
    public init(hostID: UUID, address: String, port: Int, dataCenter: String, rack: String, tokens: [String]) {
        self.hostID = hostID; self.address = address; self.port = port
        self.dataCenter = dataCenter; self.rack = rack; self.tokens = tokens
    }
}

public struct ResultColumn: Sendable, Hashable {
    public var keyspace: String; public var table: String; public var name: String; public var type: DataType
    public init(keyspace: String, table: String, name: String, type: DataType) {
        self.keyspace = keyspace; self.table = table; self.name = name; self.type = type
    }
}

public struct SchemaChange: Sendable, Hashable {
    public enum Change: String, Sendable { case created = "CREATED", updated = "UPDATED", dropped = "DROPPED" }
    public enum Target: String, Sendable { case keyspace = "KEYSPACE", table = "TABLE", type = "TYPE" }
    public var change: Change; public var target: Target; public var keyspace: String; public var name: String?
    public init(change: Change, target: Target, keyspace: String, name: String? = nil) {
        self.change = change; self.target = target; self.keyspace = keyspace; self.name = name
    }
}

public enum EngineResult: Sendable {
    case void
    case rows(columns: [ResultColumn], rows: [[[UInt8]?]], pagingState: [UInt8]?)
    case setKeyspace(String)
    case schemaChange(SchemaChange)
}

/// A CQL error to send back as an ERROR frame. `code` is the spec's error code (0x2000 syntax, 0x2200 invalid,
/// 0x2400 already exists — then `keyspace`/`table` are set —, 0x2300 config, 0x0000 server error...).
public struct EngineError: Error, Sendable, Hashable {
    public var code: Int32; public var message: String
    public var keyspace: String?; public var table: String?
    public init(code: Int32, message: String, keyspace: String? = nil, table: String? = nil) {
        self.code = code; self.message = message; self.keyspace = keyspace; self.table = table
    }
    public static let serverErrorCode: Int32 = 0x0000
    public static let syntaxErrorCode: Int32 = 0x2000
    public static let unauthorizedCode: Int32 = 0x2100
    public static let invalidCode: Int32 = 0x2200
    public static let configErrorCode: Int32 = 0x2300
    public static let alreadyExistsCode: Int32 = 0x2400

    static func syntax(_ m: String) -> EngineError { EngineError(code: syntaxErrorCode, message: m) }
    static func invalid(_ m: String) -> EngineError { EngineError(code: invalidCode, message: m) }
    static func config(_ m: String) -> EngineError { EngineError(code: configErrorCode, message: m) }
    static func alreadyExists(_ m: String, keyspace: String, table: String) -> EngineError {
        EngineError(code: alreadyExistsCode, message: m, keyspace: keyspace, table: table)
    }
}

public struct PreparedInfo: Sendable {
    public var id: [UInt8]                 // 16 bytes: MD5 of (keyspace ?? "") + query, stable across nodes
    public var bindColumns: [ResultColumn] // one per `?` / `:name` marker, in order
    public var bindNames: [String]         // marker names (column name for `?`)
    public var partitionKeyIndexes: [UInt16]
    public var resultColumns: [ResultColumn] // empty for non-SELECT
    public init(id: [UInt8], bindColumns: [ResultColumn], bindNames: [String],
                partitionKeyIndexes: [UInt16], resultColumns: [ResultColumn]) {
        self.id = id; self.bindColumns = bindColumns; self.bindNames = bindNames
        self.partitionKeyIndexes = partitionKeyIndexes; self.resultColumns = resultColumns
    }
}

/// Options of a request that matter to the engine.
public struct QueryOptions: Sendable {
    public var values: [[UInt8]?]            // positional bound values, raw
    public var names: [String]?              // when values were sent with names
    public var pageSize: Int32?              // nil or <= 0: no paging
    public var pagingState: [UInt8]?
    public init(values: [[UInt8]?] = [], names: [String]? = nil, pageSize: Int32? = nil, pagingState: [UInt8]? = nil) {
        self.values = values; self.names = names; self.pageSize = pageSize; self.pagingState = pagingState
    }
}

/// Schema and data of one in-memory cluster, shared by all its nodes (every node sees everything: replication
/// is perfect). Thread-safe: the server calls it from many threads, behind one lock.
public final class Engine: Sendable {
    let state: Locked<EngineState>
    let counters = Locked<[UUID: Int]>([:])

    public init(clusterName: String, releaseVersion: String = "4.0.11") {
        state = Locked(EngineState(clusterName: clusterName, releaseVersion: releaseVersion))
    }

    /// The cluster's nodes (for system.peers: all but `node`), and whether each is up. Set by the cluster.
    public func setTopology(_ nodes: [NodeInfo]) {
        state.withLock { $0.topology = nodes }
    }

    /// Changes on every DDL.
    public var schemaVersion: UUID { state.withLock { $0.schemaVersion } }

    public func execute(_ query: String, keyspace: String?, options: QueryOptions,
                        node: NodeInfo) throws(EngineError) -> EngineResult {
        count(node)
        return try state.withLock { (s: inout EngineState) throws(EngineError) -> EngineResult in
            try s.execute(query, keyspace: keyspace, options: options, node: node)
        }
    }

    public func prepare(_ query: String, keyspace: String?, node: NodeInfo) throws(EngineError) -> PreparedInfo {
        count(node)
        return try state.withLock { (s: inout EngineState) throws(EngineError) -> PreparedInfo in
            try s.prepare(query, keyspace: keyspace)
        }
    }

    /// A BATCH: each child a query string with its values; applied atomically in order.
    public func executeBatch(_ statements: [(query: String, values: [[UInt8]?])], keyspace: String?,
                             node: NodeInfo) throws(EngineError) {
        count(node)
        try state.withLock { (s: inout EngineState) throws(EngineError) in
            try s.executeBatch(statements, keyspace: keyspace, node: node)
        }
    }

    /// Count of requests handled per node host id (for tests: "more than one node served traffic").
    public func requestCount(node: UUID) -> Int { counters.withLock { $0[node, default: 0] } }

    /// All per-node counts.
    public var requestCounts: [UUID: Int] { counters.withLock { $0 } }

    private func count(_ node: NodeInfo) { counters.withLock { $0[node.hostID, default: 0] += 1 } }
}
