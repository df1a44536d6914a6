/// The query string of a PREPARE body, ignoring the v5 flags and keyspace that follow.
public struct PrepareView: Hashable, Sendable {
    public var query: String

    public init(body: UnsafeRawBufferPointer, version: ProtocolVersion) throws(CQLProtocolError) {
        var r = CQLReader(body)
        query = try r.readLongString()
    }

    public init(body: [UInt8], version: ProtocolVersion) throws(CQLProtocolError) {
        self = try CQLReader.read(body) { (r: inout CQLReader) throws(CQLProtocolError) in
            try PrepareView(body: r.bytes, version: version)
        }
    }
}
