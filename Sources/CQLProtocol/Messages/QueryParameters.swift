/// The <flags> of QUERY / EXECUTE / BATCH parameters: a [byte] in v3/v4, an [int] in v5.
public struct QueryFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let values = QueryFlags(rawValue: 0x01)
    public static let skipMetadata = QueryFlags(rawValue: 0x02)
    public static let pageSize = QueryFlags(rawValue: 0x04)
    public static let withPagingState = QueryFlags(rawValue: 0x08)
    public static let withSerialConsistency = QueryFlags(rawValue: 0x10)
    public static let withDefaultTimestamp = QueryFlags(rawValue: 0x20)
    public static let withNamesForValues = QueryFlags(rawValue: 0x40)
    /// v5 only.
    public static let withKeyspace = QueryFlags(rawValue: 0x80)
    /// v5 only.
    public static let withNowInSeconds = QueryFlags(rawValue: 0x100)
}

extension CQLReader {
    public mutating func readQueryFlags(version: ProtocolVersion) throws(CQLProtocolError) -> QueryFlags {
        version >= .v5
            ? QueryFlags(rawValue: UInt32(bitPattern: try readInt())) : QueryFlags(rawValue: UInt32(try readByte()))
    }
}

extension CQLWriter {
    public mutating func writeQueryFlags(_ flags: QueryFlags, version: ProtocolVersion) {
        if version >= .v5 {
            writeInt(Int32(bitPattern: flags.rawValue))
        } else {
            writeByte(UInt8(truncatingIfNeeded: flags.rawValue))
        }
    }
}

/// <query_parameters> of QUERY and EXECUTE (§4.1.4). The flags are derived from which fields are set.
public struct QueryParameters: Hashable, Sendable {
    public var consistency: Consistency
    /// Bound values; the values flag is sent when there is at least one.
    public var values: [BoundValue]
    /// Names of `values` (names_for_values flag), same count.
    public var names: [String]?
    public var skipMetadata: Bool
    public var pageSize: Int32?
    public var pagingState: [UInt8]?
    public var serialConsistency: Consistency?
    /// Microseconds.
    public var defaultTimestamp: Int64?
    /// v5 only.
    public var keyspace: String?
    /// v5 only.
    public var nowInSeconds: Int32?

    public init(
        consistency: Consistency, values: [BoundValue] = [], names: [String]? = nil, skipMetadata: Bool = false,
        pageSize: Int32? = nil, pagingState: [UInt8]? = nil, serialConsistency: Consistency? = nil,
        defaultTimestamp: Int64? = nil, keyspace: String? = nil, nowInSeconds: Int32? = nil
    ) {
        self.consistency = consistency
        self.values = values
        self.names = names
        self.skipMetadata = skipMetadata
        self.pageSize = pageSize
        self.pagingState = pagingState
        self.serialConsistency = serialConsistency
        self.defaultTimestamp = defaultTimestamp
        self.keyspace = keyspace
        self.nowInSeconds = nowInSeconds
    }

    public var flags: QueryFlags {
        var f: QueryFlags = []
        if !values.isEmpty { f.insert(.values) }
        if names != nil && !values.isEmpty { f.insert(.withNamesForValues) }
        if skipMetadata { f.insert(.skipMetadata) }
        if pageSize != nil { f.insert(.pageSize) }
        if pagingState != nil { f.insert(.withPagingState) }
        if serialConsistency != nil { f.insert(.withSerialConsistency) }
        if defaultTimestamp != nil { f.insert(.withDefaultTimestamp) }
        if keyspace != nil { f.insert(.withKeyspace) }
        if nowInSeconds != nil { f.insert(.withNowInSeconds) }
        return f
    }

    public func encode(into w: inout CQLWriter, version: ProtocolVersion) {
        let flags = self.flags
        w.writeConsistency(consistency)
        w.writeQueryFlags(flags, version: version)
        if flags.contains(.values) {
            w.writeShort(UInt16(values.count))
            for (i, v) in values.enumerated() {
                if flags.contains(.withNamesForValues) { w.writeString(names.flatMap { $0.indices.contains(i) ? $0[i] : nil } ?? "") }
                w.writeValue(v)
            }
        }
        if let pageSize { w.writeInt(pageSize) }
        if let pagingState { w.writeBytes(pagingState) }
        if let serialConsistency { w.writeConsistency(serialConsistency) }
        if let defaultTimestamp { w.writeLong(defaultTimestamp) }
        if version >= .v5 {
            if let keyspace { w.writeString(keyspace) }
            if let nowInSeconds { w.writeInt(nowInSeconds) }
        }
    }

    public static func read(_ r: inout CQLReader, version: ProtocolVersion) throws(CQLProtocolError)
        -> QueryParameters
    {
        var p = QueryParameters(consistency: try r.readConsistency())
        let flags = try r.readQueryFlags(version: version)
        if flags.contains(.values) {
            let n = Int(try r.readShort())
            let named = flags.contains(.withNamesForValues)
            try r.requireCount(n, minSize: named ? 6 : 4, "query values")
            var names: [String] = []
            for _ in 0..<n {
                if named { names.append(try r.readString()) }
                p.values.append(try r.readValue())
            }
            if named { p.names = names }
        }
        p.skipMetadata = flags.contains(.skipMetadata)
        if flags.contains(.pageSize) { p.pageSize = try r.readInt() }
        if flags.contains(.withPagingState) {
            // A null paging state means "none" on the wire; keep it as an empty state so the flag round-trips.
            p.pagingState = try r.readBytes() ?? []
        }
        if flags.contains(.withSerialConsistency) { p.serialConsistency = try r.readConsistency() }
        if flags.contains(.withDefaultTimestamp) { p.defaultTimestamp = try r.readLong() }
        if version >= .v5 {
            if flags.contains(.withKeyspace) { p.keyspace = try r.readString() }
            if flags.contains(.withNowInSeconds) { p.nowInSeconds = try r.readInt() }
        }
        return p
    }
}
