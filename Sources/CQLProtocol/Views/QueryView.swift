/// The routing fields of a QUERY body, read without decoding the bound values.
///
/// Offsets are relative to the start of the message (the body after any envelope prefixes, see
/// `FrameEnvelope.messageOffset`), so the proxy can rewrite the consistency [short] in place.
public struct QueryView: Hashable, Sendable {
    public var query: String
    public var consistency: Consistency
    public var consistencyOffset: Int
    public var flags: QueryFlags

    public init(body: UnsafeRawBufferPointer, version: ProtocolVersion) throws(CQLProtocolError) {
        var r = CQLReader(body)
        query = try r.readLongString()
        consistencyOffset = r.offset
        consistency = try r.readConsistency()
        flags = try r.readQueryFlags(version: version)
    }

    public init(body: [UInt8], version: ProtocolVersion) throws(CQLProtocolError) {
        self = try CQLReader.read(body) { (r: inout CQLReader) throws(CQLProtocolError) in
            try QueryView(body: r.bytes, version: version)
        }
    }
}
