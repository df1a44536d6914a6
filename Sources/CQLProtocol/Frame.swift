import Foundation

/// A whole frame: header plus (uncompressed) body bytes.
public struct Frame: Hashable, Sendable {
    public var header: FrameHeader
    public var body: [UInt8]

    /// `header.length` is set from `body` on encode, so it need not be kept in sync by hand.
    public init(header: FrameHeader, body: [UInt8]) {
        self.header = header
        self.body = body
        self.header.length = UInt32(truncatingIfNeeded: body.count)
    }

    public init(request: RequestMessage, version: ProtocolVersion, stream: StreamID, flags: FrameFlags = []) {
        self.init(
            header: FrameHeader(version: version, isResponse: false, flags: flags, stream: stream, opcode: request.opcode),
            body: request.encodeBody(version: version))
    }

    public init(response: ResponseMessage, version: ProtocolVersion, stream: StreamID, flags: FrameFlags = []) {
        self.init(
            header: FrameHeader(version: version, isResponse: true, flags: flags, stream: stream, opcode: response.opcode),
            body: response.encodeBody(version: version))
    }

    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(FrameHeader.size + body.count)
        var h = header
        h.length = UInt32(truncatingIfNeeded: body.count)
        h.encode(into: &out)
        out.append(contentsOf: body)
        return out
    }

    /// Cuts one frame off the front of `bytes`: `nil` while incomplete, the frame and the bytes it used otherwise.
    public static func decode(_ bytes: [UInt8], maxBodyLength: Int = FrameHeader.defaultMaxBodyLength)
        throws(CQLProtocolError) -> (frame: Frame, consumed: Int)?
    {
        switch FrameHeader.parse(bytes, maxBodyLength: maxBodyLength) {
        case .incomplete: return nil
        case .invalid(let e): throw e
        case .header(let h):
            let end = FrameHeader.size + Int(h.length)
            guard bytes.count >= end else { return nil }
            return (Frame(header: h, body: Array(bytes[FrameHeader.size..<end])), end)
        }
    }

    /// The body prefixes selected by the header flags, then the message.
    public func envelope() throws(CQLProtocolError) -> FrameEnvelope {
        try CQLReader.read(body) { (r: inout CQLReader) throws(CQLProtocolError) in
            try FrameEnvelope.read(&r, header: header)
        }
    }

    public func requestMessage() throws(CQLProtocolError) -> RequestMessage {
        guard !header.isResponse else { throw .malformed("a response frame is not a request") }
        let env = try envelope()
        return try RequestMessage.decode(
            opcode: header.opcode, body: Array(body[env.messageOffset...]), version: header.protocolVersion)
    }

    public func responseMessage() throws(CQLProtocolError) -> ResponseMessage {
        guard header.isResponse else { throw .malformed("a request frame is not a response") }
        let env = try envelope()
        return try ResponseMessage.decode(
            opcode: header.opcode, body: Array(body[env.messageOffset...]), version: header.protocolVersion)
    }
}

/// What the header flags put before the message in a body (§2.2, §4):
/// `[<tracing_id>][<warnings>][<custom_payload>]<message>`.
public struct FrameEnvelope: Hashable, Sendable {
    /// Responses only, when the tracing flag is set.
    public var tracingID: UUID?
    /// Responses only, when the warning flag is set.
    public var warnings: [String]?
    /// When the custom payload flag is set (requests: QUERY, PREPARE, EXECUTE, BATCH only).
    public var customPayload: [String: [UInt8]?]?
    /// Where the message starts in the body: the offset partial decoders are applied from.
    public var messageOffset: Int

    public init(
        tracingID: UUID? = nil, warnings: [String]? = nil, customPayload: [String: [UInt8]?]? = nil,
        messageOffset: Int = 0
    ) {
        self.tracingID = tracingID
        self.warnings = warnings
        self.customPayload = customPayload
        self.messageOffset = messageOffset
    }

    /// Reads the prefixes of a body (the reader must start at the body's first byte).
    public static func read(_ r: inout CQLReader, header: FrameHeader) throws(CQLProtocolError) -> FrameEnvelope {
        guard !header.flags.contains(.compression) else {
            throw .malformed("compressed frame bodies are not supported")
        }
        var env = FrameEnvelope()
        if header.isResponse {
            if header.flags.contains(.tracing) { env.tracingID = try r.readUUID() }
            if header.flags.contains(.warning) { env.warnings = try r.readStringList() }
        }
        if header.flags.contains(.customPayload) && carriesPayload(header) {
            env.customPayload = try r.readBytesMap()
        }
        env.messageOffset = r.offset
        return env
    }

    public static func read(body: UnsafeRawBufferPointer, header: FrameHeader) throws(CQLProtocolError)
        -> FrameEnvelope
    {
        var r = CQLReader(body)
        return try read(&r, header: header)
    }

    private static func carriesPayload(_ h: FrameHeader) -> Bool {
        if h.isResponse { return true }
        switch h.knownOpcode {
        case .query, .prepare, .execute, .batch: return true
        default: return false
        }
    }

    /// The prefixes as bytes, for building a frame (the matching header flags are the caller's to set).
    public func encode() -> [UInt8] {
        var w = CQLWriter()
        if let tracingID { w.writeUUID(tracingID) }
        if let warnings { w.writeStringList(warnings) }
        if let customPayload { w.writeBytesMap(customPayload) }
        return w.bytes
    }
}
