/// A message a server sends (§4.2). The body excludes the envelope prefixes (`FrameEnvelope`).
public enum ResponseMessage: Hashable, Sendable {
    case error(ErrorMessage)
    case ready
    /// The IAuthenticator class name.
    case authenticate(String)
    case supported([String: [String]])
    case result(ResultMessage)
    case event(EventMessage)
    case authChallenge([UInt8]?)
    case authSuccess([UInt8]?)

    public var opcode: Opcode {
        switch self {
        case .error: .error
        case .ready: .ready
        case .authenticate: .authenticate
        case .supported: .supported
        case .result: .result
        case .event: .event
        case .authChallenge: .authChallenge
        case .authSuccess: .authSuccess
        }
    }

    public func encodeBody(version: ProtocolVersion) -> [UInt8] {
        var w = CQLWriter()
        encode(into: &w, version: version)
        return w.bytes
    }

    /// The body, as docs/CONTRACTS.md names it (same as `encodeBody(version:)`).
    public func encode(version: ProtocolVersion) -> [UInt8] { encodeBody(version: version) }

    public func encode(into w: inout CQLWriter, version: ProtocolVersion) {
        switch self {
        case .error(let e): e.encode(into: &w, version: version)
        case .ready: break
        case .authenticate(let name): w.writeString(name)
        case .supported(let options): w.writeStringMultimap(options)
        case .result(let r): r.encode(into: &w, version: version)
        case .event(let e): e.encode(into: &w)
        case .authChallenge(let token), .authSuccess(let token): w.writeBytes(token)
        }
    }

    /// Decodes a response body; an opcode that is not a response is `.unknownOpcode`.
    public static func decode(opcode: UInt8, body: [UInt8], version: ProtocolVersion) throws(CQLProtocolError)
        -> ResponseMessage
    {
        guard let op = Opcode(rawValue: opcode) else { throw .unknownOpcode(opcode) }
        return try decode(opcode: op, body: body, version: version)
    }

    public static func decode(opcode: Opcode, body: [UInt8], version: ProtocolVersion) throws(CQLProtocolError)
        -> ResponseMessage
    {
        try CQLReader.read(body) { (r: inout CQLReader) throws(CQLProtocolError) in
            try read(&r, opcode: opcode, version: version)
        }
    }

    /// Reads the message from the reader's position; trailing bytes are ignored, as §1 asks.
    public static func read(_ r: inout CQLReader, opcode: Opcode, version: ProtocolVersion)
        throws(CQLProtocolError) -> ResponseMessage
    {
        switch opcode {
        case .error: return .error(try ErrorMessage.read(&r, version: version))
        case .ready: return .ready
        case .authenticate: return .authenticate(try r.readString())
        case .supported: return .supported(try r.readStringMultimap())
        case .result: return .result(try ResultMessage.read(&r, version: version))
        case .event: return .event(try EventMessage.read(&r))
        case .authChallenge: return .authChallenge(try r.readBytes())
        case .authSuccess: return .authSuccess(try r.readBytes())
        case .startup, .options, .query, .prepare, .execute, .register, .batch, .authResponse:
            throw .unknownOpcode(opcode.rawValue)
        }
    }
}
