/// BATCH <type> (§4.1.7). A struct so an unknown type byte survives decoding (the server rejects it).
public struct BatchType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let logged = BatchType(rawValue: 0)
    public static let unlogged = BatchType(rawValue: 1)
    public static let counter = BatchType(rawValue: 2)
}

/// One <query_i> of a BATCH.
public struct BatchStatement: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// kind 0: a [long string] query.
        case query(String)
        /// kind 1: a [short bytes] prepared id.
        case prepared([UInt8])
    }

    public var kind: Kind
    public var values: [BoundValue]

    public init(kind: Kind, values: [BoundValue] = []) {
        self.kind = kind
        self.values = values
    }
}

/// BATCH (§4.1.7).
///
/// Values are never named: the names_for_values flag comes after the statements it would describe, so (as the
/// spec admits, CASSANDRA-10246) nobody can read it in time. Like Cassandra we read values unnamed and never
/// send the flag.
public struct BatchRequest: Hashable, Sendable {
    public var type: BatchType
    public var statements: [BatchStatement]
    public var consistency: Consistency
    public var serialConsistency: Consistency?
    public var defaultTimestamp: Int64?
    /// v5 only.
    public var keyspace: String?
    /// v5 only.
    public var nowInSeconds: Int32?

    public init(
        type: BatchType, statements: [BatchStatement], consistency: Consistency,
        serialConsistency: Consistency? = nil, defaultTimestamp: Int64? = nil, keyspace: String? = nil,
        nowInSeconds: Int32? = nil
    ) {
        self.type = type
        self.statements = statements
        self.consistency = consistency
        self.serialConsistency = serialConsistency
        self.defaultTimestamp = defaultTimestamp
        self.keyspace = keyspace
        self.nowInSeconds = nowInSeconds
    }

    public var flags: QueryFlags {
        var f: QueryFlags = []
        if serialConsistency != nil { f.insert(.withSerialConsistency) }
        if defaultTimestamp != nil { f.insert(.withDefaultTimestamp) }
        if keyspace != nil { f.insert(.withKeyspace) }
        if nowInSeconds != nil { f.insert(.withNowInSeconds) }
        return f
    }

    public func encode(into w: inout CQLWriter, version: ProtocolVersion) {
        let flags = self.flags
        w.writeByte(type.rawValue)
        w.writeShort(UInt16(statements.count))
        for s in statements {
            switch s.kind {
            case .query(let q): w.writeByte(0); w.writeLongString(q)
            case .prepared(let id): w.writeByte(1); w.writeShortBytes(id)
            }
            w.writeShort(UInt16(s.values.count))
            for v in s.values { w.writeValue(v) }
        }
        w.writeConsistency(consistency)
        w.writeQueryFlags(flags, version: version)
        if let serialConsistency { w.writeConsistency(serialConsistency) }
        if let defaultTimestamp { w.writeLong(defaultTimestamp) }
        if version >= .v5 {
            if let keyspace { w.writeString(keyspace) }
            if let nowInSeconds { w.writeInt(nowInSeconds) }
        }
    }

    public static func read(_ r: inout CQLReader, version: ProtocolVersion) throws(CQLProtocolError)
        -> BatchRequest
    {
        let type = BatchType(rawValue: try r.readByte())
        let n = Int(try r.readShort())
        try r.requireCount(n, minSize: 5, "batch statements")
        let statements = try readStatements(&r, count: n)
        let flagsAndRest = try readTail(&r, version: version)
        var b = BatchRequest(type: type, statements: statements, consistency: flagsAndRest.consistency)
        b.serialConsistency = flagsAndRest.serial
        b.defaultTimestamp = flagsAndRest.timestamp
        b.keyspace = flagsAndRest.keyspace
        b.nowInSeconds = flagsAndRest.now
        return b
    }

    private static func readStatements(_ r: inout CQLReader, count: Int) throws(CQLProtocolError)
        -> [BatchStatement]
    {
        var out: [BatchStatement] = []
        for _ in 0..<count {
            let kind: BatchStatement.Kind
            switch try r.readByte() {
            case 0: kind = .query(try r.readLongString())
            case 1: kind = .prepared(try r.readShortBytes())
            case let k: throw .malformed("batch statement kind \(k)")
            }
            let m = Int(try r.readShort())
            try r.requireCount(m, minSize: 4, "batch values")
            var s = BatchStatement(kind: kind)
            for _ in 0..<m { s.values.append(try r.readValue()) }
            out.append(s)
        }
        return out
    }

    private struct Tail {
        var consistency: Consistency
        var flags: QueryFlags
        var serial: Consistency?
        var timestamp: Int64?
        var keyspace: String?
        var now: Int32?
    }

    private static func readTail(_ r: inout CQLReader, version: ProtocolVersion) throws(CQLProtocolError) -> Tail {
        var t = Tail(consistency: try r.readConsistency(), flags: try r.readQueryFlags(version: version))
        if t.flags.contains(.withSerialConsistency) { t.serial = try r.readConsistency() }
        if t.flags.contains(.withDefaultTimestamp) { t.timestamp = try r.readLong() }
        if version >= .v5 {
            if t.flags.contains(.withKeyspace) { t.keyspace = try r.readString() }
            if t.flags.contains(.withNowInSeconds) { t.now = try r.readInt() }
        }
        return t
    }
}
