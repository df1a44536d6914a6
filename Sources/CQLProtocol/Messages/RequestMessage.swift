/// QUERY (§4.1.4).
public struct QueryRequest: Hashable, Sendable {
    public var query: String
    public var parameters: QueryParameters
    public init(query: String, parameters: QueryParameters) {
        self.query = query
        self.parameters = parameters
    }
}

/// PREPARE (§4.1.5).
public struct PrepareRequest: Hashable, Sendable {
    public var query: String
    /// v5 only (PREPARE flag 0x01).
    public var keyspace: String?
    public init(query: String, keyspace: String? = nil) {
        self.query = query
        self.keyspace = keyspace
    }
}

/// EXECUTE (§4.1.6).
public struct ExecuteRequest: Hashable, Sendable {
    public var id: [UInt8]
    /// v5 only: <result_metadata_id>, always present there.
    public var resultMetadataID: [UInt8]?
    public var parameters: QueryParameters
    public init(id: [UInt8], resultMetadataID: [UInt8]? = nil, parameters: QueryParameters) {
        self.id = id
        self.resultMetadataID = resultMetadataID
        self.parameters = parameters
    }
}

/// A message a client sends (§4.1). The body excludes the envelope prefixes (`FrameEnvelope`).
public enum RequestMessage: Hashable, Sendable {
    case startup([String: String])
    case authResponse([UInt8]?)
    case options
    case query(QueryRequest)
    case prepare(PrepareRequest)
    case execute(ExecuteRequest)
    case batch(BatchRequest)
    case register([String])

    public var opcode: Opcode {
        switch self {
        case .startup: .startup
        case .authResponse: .authResponse
        case .options: .options
        case .query: .query
        case .prepare: .prepare
        case .execute: .execute
        case .batch: .batch
        case .register: .register
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
        case .startup(let options): w.writeStringMap(options)
        case .authResponse(let token): w.writeBytes(token)
        case .options: break
        case .query(let q):
            w.writeLongString(q.query)
            q.parameters.encode(into: &w, version: version)
        case .prepare(let p):
            w.writeLongString(p.query)
            if version >= .v5 {
                w.writeInt(p.keyspace == nil ? 0 : 0x01)
                if let keyspace = p.keyspace { w.writeString(keyspace) }
            }
        case .execute(let e):
            w.writeShortBytes(e.id)
            if version >= .v5 { w.writeShortBytes(e.resultMetadataID ?? []) }
            e.parameters.encode(into: &w, version: version)
        case .batch(let b): b.encode(into: &w, version: version)
        case .register(let events): w.writeStringList(events)
        }
    }

    /// Decodes a request body; an opcode that is not a request is `.unknownOpcode`.
    public static func decode(opcode: UInt8, body: [UInt8], version: ProtocolVersion) throws(CQLProtocolError)
        -> RequestMessage
    {
        guard let op = Opcode(rawValue: opcode) else { throw .unknownOpcode(opcode) }
        return try decode(opcode: op, body: body, version: version)
    }

    public static func decode(opcode: Opcode, body: [UInt8], version: ProtocolVersion) throws(CQLProtocolError)
        -> RequestMessage
    {
        try CQLReader.read(body) { (r: inout CQLReader) throws(CQLProtocolError) in
            try read(&r, opcode: opcode, version: version)
        }
    }

    /// Reads the message from the reader's position; trailing bytes are ignored, as §1 asks.
    public static func read(_ r: inout CQLReader, opcode: Opcode, version: ProtocolVersion)
        throws(CQLProtocolError) -> RequestMessage
    {
        switch opcode {
        case .startup: return .startup(try r.readStringMap())
        case .authResponse: return .authResponse(try r.readBytes())
        case .options: return .options
        case .query:
            let query = try r.readLongString()
            return .query(QueryRequest(query: query, parameters: try .read(&r, version: version)))
        case .prepare:
            var p = PrepareRequest(query: try r.readLongString())
            if version >= .v5 {
                let flags = try r.readInt()
                if flags & 0x01 != 0 { p.keyspace = try r.readString() }
            }
            return .prepare(p)
        case .execute:
            var e = ExecuteRequest(id: try r.readShortBytes(), parameters: QueryParameters(consistency: .any))
            if version >= .v5 { e.resultMetadataID = try r.readShortBytes() }
            e.parameters = try .read(&r, version: version)
            return .execute(e)
        case .batch: return .batch(try .read(&r, version: version))
        case .register: return .register(try r.readStringList())
        case .error, .ready, .authenticate, .supported, .result, .event, .authChallenge, .authSuccess:
            throw .unknownOpcode(opcode.rawValue)
        }
    }
}
