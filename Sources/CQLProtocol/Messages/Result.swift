/// A Rows result: metadata plus raw cells, left undecoded ([bytes]; `nil` is null).
public struct Rows: Hashable, Sendable {
    public var metadata: RowsMetadata
    public var rows: [[[UInt8]?]]
    public init(metadata: RowsMetadata, rows: [[[UInt8]?]]) {
        self.metadata = metadata
        self.rows = rows
    }
}

/// A Prepared result (§4.2.5.4).
public struct PreparedResult: Hashable, Sendable {
    public var id: [UInt8]
    /// v5 only.
    public var resultMetadataID: [UInt8]?
    public var metadata: PreparedMetadata
    public var resultMetadata: RowsMetadata

    public init(id: [UInt8], resultMetadataID: [UInt8]? = nil, metadata: PreparedMetadata, resultMetadata: RowsMetadata) {
        self.id = id
        self.resultMetadataID = resultMetadataID
        self.metadata = metadata
        self.resultMetadata = resultMetadata
    }
}

/// RESULT (§4.2.5).
public enum ResultMessage: Hashable, Sendable {
    case void
    case rows(Rows)
    case setKeyspace(String)
    case prepared(PreparedResult)
    case schemaChange(SchemaChange)

    /// With zero columns a row takes no bytes, so a hostile row count could not be bounded by the body size.
    static let maxEmptyRows = 65_536

    public func encode(into w: inout CQLWriter, version: ProtocolVersion) {
        switch self {
        case .void: w.writeInt(0x0001)
        case .rows(let rows):
            w.writeInt(0x0002)
            rows.metadata.encode(into: &w, version: version)
            w.writeInt(Int32(rows.rows.count))
            for row in rows.rows { for cell in row { w.writeBytes(cell) } }
        case .setKeyspace(let keyspace):
            w.writeInt(0x0003)
            w.writeString(keyspace)
        case .prepared(let p):
            w.writeInt(0x0004)
            w.writeShortBytes(p.id)
            if version >= .v5 { w.writeShortBytes(p.resultMetadataID ?? []) }
            p.metadata.encode(into: &w, version: version)
            p.resultMetadata.encode(into: &w, version: version)
        case .schemaChange(let change):
            w.writeInt(0x0005)
            change.encode(into: &w)
        }
    }

    public static func read(_ r: inout CQLReader, version: ProtocolVersion) throws(CQLProtocolError) -> ResultMessage {
        let kind = try r.readInt()
        switch kind {
        case 0x0001: return .void
        case 0x0002:
            let metadata = try RowsMetadata.read(&r, version: version)
            let count = Int(try r.readInt())
            let width = metadata.columnCount
            if width == 0 {
                guard count >= 0 && count <= maxEmptyRows else { throw .malformed("\(count) rows of no columns") }
            } else {
                let (cells, overflow) = count.multipliedReportingOverflow(by: width)
                guard !overflow else { throw .malformed("\(count) rows of \(width) columns") }
                try r.requireCount(cells, minSize: 4, "row cells")
            }
            var rows: [[[UInt8]?]] = []
            rows.reserveCapacity(count)
            for _ in 0..<count {
                var row: [[UInt8]?] = []
                row.reserveCapacity(width)
                for _ in 0..<width { row.append(try r.readBytes()) }
                rows.append(row)
            }
            return .rows(Rows(metadata: metadata, rows: rows))
        case 0x0003: return .setKeyspace(try r.readString())
        case 0x0004:
            let id = try r.readShortBytes()
            let resultMetadataID = version >= .v5 ? try r.readShortBytes() : nil
            let metadata = try PreparedMetadata.read(&r, version: version)
            return .prepared(
                PreparedResult(
                    id: id, resultMetadataID: resultMetadataID, metadata: metadata,
                    resultMetadata: try RowsMetadata.read(&r, version: version)))
        case 0x0005: return .schemaChange(try SchemaChange.read(&r))
        default: throw .malformed("RESULT kind \(kind)")
        }
    }
}
