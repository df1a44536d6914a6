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

    /// The UTF-8 bytes of a QUERY body's query string, without decoding anything else; nil when malformed.
    public static func queryBytes(body: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard body.count >= 4 else { return nil }
        let n = Int(Int32(bitPattern: UInt32(body[0]) << 24 | UInt32(body[1]) << 16 | UInt32(body[2]) << 8 | UInt32(body[3])))
        guard n >= 0, n <= body.count - 4 else { return nil }
        return UnsafeRawBufferPointer(rebasing: body[4..<(4 + n)])
    }

    public init(body: [UInt8], version: ProtocolVersion) throws(CQLProtocolError) {
        self = try CQLReader.read(body) { (r: inout CQLReader) throws(CQLProtocolError) in
            try QueryView(body: r.bytes, version: version)
        }
    }
}
