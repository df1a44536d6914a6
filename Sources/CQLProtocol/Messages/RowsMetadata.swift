/// A column of a result or a bind marker of a prepared statement (<col_spec_i>, §4.2.5.2).
public struct ColumnSpec: Hashable, Sendable {
    public var keyspace: String
    public var table: String
    public var name: String
    public var type: DataType
    public init(keyspace: String, table: String, name: String, type: DataType) {
        self.keyspace = keyspace
        self.table = table
        self.name = name
        self.type = type
    }
}

/// Keyspace and table shared by every column (Global_tables_spec).
public struct TableSpec: Hashable, Sendable {
    public var keyspace: String
    public var table: String
    public init(keyspace: String, table: String) {
        self.keyspace = keyspace
        self.table = table
    }
}

/// The flags of rows metadata (an [int]).
public struct RowsFlags: OptionSet, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let globalTablesSpec = RowsFlags(rawValue: 0x0001)
    public static let hasMorePages = RowsFlags(rawValue: 0x0002)
    public static let noMetadata = RowsFlags(rawValue: 0x0004)
    /// v5.
    public static let metadataChanged = RowsFlags(rawValue: 0x0008)
}

/// <metadata> of a Rows result, also the <result_metadata> of a Prepared one (§4.2.5.2).
public struct RowsMetadata: Hashable, Sendable {
    /// Number of columns in each row; kept separately because No_metadata omits `columns`.
    public var columnCount: Int
    /// `nil` means No_metadata.
    public var columns: [ColumnSpec]?
    /// When set (and every column shares it), the table is written once (Global_tables_spec).
    public var globalTableSpec: TableSpec?
    /// Present means Has_more_pages.
    public var pagingState: [UInt8]?
    /// v5: present means Metadata_changed.
    public var newMetadataID: [UInt8]?

    public init(columns: [ColumnSpec], globalTableSpec: TableSpec? = nil, pagingState: [UInt8]? = nil) {
        self.columnCount = columns.count
        self.columns = columns
        self.globalTableSpec = globalTableSpec
        self.pagingState = pagingState
    }

    /// No_metadata, as sent when the request asked to skip it.
    public init(noMetadataColumnCount: Int, pagingState: [UInt8]? = nil) {
        self.columnCount = noMetadataColumnCount
        self.columns = nil
        self.pagingState = pagingState
    }

    /// Shared with the statement metadata of Prepared results, whose layout differs only in the pk indexes.
    static func writeColumns(_ columns: [ColumnSpec], global: TableSpec?, into w: inout CQLWriter, version: ProtocolVersion) {
        if let global { w.writeString(global.keyspace); w.writeString(global.table) }
        for c in columns {
            if global == nil { w.writeString(c.keyspace); w.writeString(c.table) }
            w.writeString(c.name)
            w.writeOption(c.type, version: version)
        }
    }

    static func readColumns(_ r: inout CQLReader, count: Int, global: Bool) throws(CQLProtocolError)
        -> ([ColumnSpec], TableSpec?)
    {
        var spec: TableSpec?
        if global {
            let keyspace = try r.readString()
            spec = TableSpec(keyspace: keyspace, table: try r.readString())
        }
        try r.requireCount(count, minSize: global ? 4 : 8, "column specs")
        var columns: [ColumnSpec] = []
        columns.reserveCapacity(count)
        for _ in 0..<count {
            var keyspace = spec?.keyspace ?? "", table = spec?.table ?? ""
            if spec == nil { keyspace = try r.readString(); table = try r.readString() }
            let name = try r.readString()
            columns.append(ColumnSpec(keyspace: keyspace, table: table, name: name, type: try r.readOption()))
        }
        return (columns, spec)
    }

    public var flags: RowsFlags {
        var f: RowsFlags = []
        if columns == nil { f.insert(.noMetadata) } else if globalTableSpec != nil { f.insert(.globalTablesSpec) }
        if pagingState != nil { f.insert(.hasMorePages) }
        if newMetadataID != nil { f.insert(.metadataChanged) }
        return f
    }

    public func encode(into w: inout CQLWriter, version: ProtocolVersion) {
        var flags = self.flags
        if version < .v5 { flags.remove(.metadataChanged) }
        w.writeInt(flags.rawValue)
        w.writeInt(Int32(columns?.count ?? columnCount))
        if let pagingState { w.writeBytes(pagingState) }
        if version >= .v5, let newMetadataID { w.writeShortBytes(newMetadataID) }
        if let columns { Self.writeColumns(columns, global: globalTableSpec, into: &w, version: version) }
    }

    public static func read(_ r: inout CQLReader, version: ProtocolVersion) throws(CQLProtocolError) -> RowsMetadata {
        let flags = RowsFlags(rawValue: try r.readInt())
        let count32 = try r.readInt()
        guard count32 >= 0 else { throw .malformed("column count \(count32)") }
        var m = RowsMetadata(noMetadataColumnCount: Int(count32))
        if flags.contains(.hasMorePages) { m.pagingState = try r.readBytes() ?? [] }
        if version >= .v5, flags.contains(.metadataChanged) { m.newMetadataID = try r.readShortBytes() }
        if !flags.contains(.noMetadata) {
            let (columns, global) = try readColumns(&r, count: m.columnCount, global: flags.contains(.globalTablesSpec))
            m.columns = columns
            m.globalTableSpec = global
        }
        return m
    }
}

/// <metadata> of a Prepared result: the bind markers (§4.2.5.4).
public struct PreparedMetadata: Hashable, Sendable {
    public var columns: [ColumnSpec]
    /// v4+: index of the bind marker for each partition key column.
    public var partitionKeyIndexes: [UInt16]
    public var globalTableSpec: TableSpec?

    public init(columns: [ColumnSpec], partitionKeyIndexes: [UInt16] = [], globalTableSpec: TableSpec? = nil) {
        self.columns = columns
        self.partitionKeyIndexes = partitionKeyIndexes
        self.globalTableSpec = globalTableSpec
    }

    public func encode(into w: inout CQLWriter, version: ProtocolVersion) {
        w.writeInt(globalTableSpec == nil ? 0 : RowsFlags.globalTablesSpec.rawValue)
        w.writeInt(Int32(columns.count))
        if version >= .v4 {
            w.writeInt(Int32(partitionKeyIndexes.count))
            for i in partitionKeyIndexes { w.writeShort(i) }
        }
        RowsMetadata.writeColumns(columns, global: globalTableSpec, into: &w, version: version)
    }

    public static func read(_ r: inout CQLReader, version: ProtocolVersion) throws(CQLProtocolError)
        -> PreparedMetadata
    {
        let flags = RowsFlags(rawValue: try r.readInt())
        let count = try r.readInt()
        guard count >= 0 else { throw .malformed("bind marker count \(count)") }
        var pk: [UInt16] = []
        if version >= .v4 {
            let n = Int(try r.readInt())
            try r.requireCount(n, minSize: 2, "partition key indexes")
            for _ in 0..<n { pk.append(try r.readShort()) }
        }
        let (columns, global) = try RowsMetadata.readColumns(
            &r, count: Int(count), global: flags.contains(.globalTablesSpec))
        return PreparedMetadata(columns: columns, partitionKeyIndexes: pk, globalTableSpec: global)
    }
}
