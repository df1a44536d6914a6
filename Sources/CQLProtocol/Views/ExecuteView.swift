/// The routing fields of an EXECUTE body: the prepared id and the consistency (with its offset, relative to
/// the message start), without the bound values.
public struct ExecuteView: Hashable, Sendable {
    public var preparedID: [UInt8]
    /// v5 only.
    public var resultMetadataID: [UInt8]?
    public var consistency: Consistency
    public var consistencyOffset: Int
    public var flags: QueryFlags

    public init(body: UnsafeRawBufferPointer, version: ProtocolVersion) throws(CQLProtocolError) {
        var r = CQLReader(body)
        preparedID = try r.readShortBytes()
        resultMetadataID = version >= .v5 ? try r.readShortBytes() : nil
        consistencyOffset = r.offset
        consistency = try r.readConsistency()
        flags = try r.readQueryFlags(version: version)
    }

    public init(body: [UInt8], version: ProtocolVersion) throws(CQLProtocolError) {
        self = try CQLReader.read(body) { (r: inout CQLReader) throws(CQLProtocolError) in
            try ExecuteView(body: r.bytes, version: version)
        }
    }
}
