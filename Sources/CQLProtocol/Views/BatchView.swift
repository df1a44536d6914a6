/// The routing fields of a BATCH body: each child's query string or prepared id (values skipped, not copied),
/// then the consistency and its offset relative to the message start.
public struct BatchView: Hashable, Sendable {
    public var type: BatchType
    public var statements: [BatchStatement.Kind]
    public var consistency: Consistency
    public var consistencyOffset: Int
    public var flags: QueryFlags

    public init(body: UnsafeRawBufferPointer, version: ProtocolVersion) throws(CQLProtocolError) {
        var r = CQLReader(body)
        type = BatchType(rawValue: try r.readByte())
        let n = Int(try r.readShort())
        try r.requireCount(n, minSize: 5, "batch statements")
        statements = []
        statements.reserveCapacity(n)
        for _ in 0..<n {
            switch try r.readByte() {
            case 0: statements.append(.query(try r.readLongString()))
            case 1: statements.append(.prepared(try r.readShortBytes()))
            case let k: throw .malformed("batch statement kind \(k)")
            }
            let values = Int(try r.readShort())
            try r.requireCount(values, minSize: 4, "batch values")
            for _ in 0..<values { try r.skipValue() }
        }
        consistencyOffset = r.offset
        consistency = try r.readConsistency()
        flags = try r.readQueryFlags(version: version)
    }

    public init(body: [UInt8], version: ProtocolVersion) throws(CQLProtocolError) {
        self = try CQLReader.read(body) { (r: inout CQLReader) throws(CQLProtocolError) in
            try BatchView(body: r.bytes, version: version)
        }
    }
}
