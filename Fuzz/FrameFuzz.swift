import CQLProtocol

/// Frames and messages: the first 9 bytes as a header, the rest as a body decoded every way the proxy
/// (or a peer) could read it: each request and response opcode, for v3, v4 and v5, each envelope flag
/// combination, each partial view. Whatever decodes must re-encode and decode to the same message.
@_cdecl("LLVMFuzzerTestOneInput")
public func frameFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FrameFuzz.run(fuzzInput(data, size))
    return 0
}

enum FrameFuzz {
    static let versions: [ProtocolVersion] = [.v3, .v4, .v5]

    static func run(_ input: [UInt8]) {
        _ = FrameHeader.legacyStreamID(input)
        wholeFrame(input)
        let body = input.count > FrameHeader.size ? Array(input[FrameHeader.size...]) : input
        for version in versions {
            for opcode in UInt8(0)...0x11 {
                request(body, opcode: opcode, version: version)
                response(body, opcode: opcode, version: version)
            }
            views(body, version: version)
        }
        envelopes(body)
    }

    /// The path a proxy takes: header, whole frame, envelope, message.
    static func wholeFrame(_ input: [UInt8]) {
        guard case .header(let h) = FrameHeader.parse(input, maxBodyLength: 1 << 20) else { return }
        fuzzRequire(Int(h.length) <= 1 << 20, "parse let a length over the limit through")
        guard let (frame, used) = try? Frame.decode(input, maxBodyLength: 1 << 20) else { return }
        fuzzRequire(used == FrameHeader.size + Int(h.length), "Frame.decode consumed \(used)")
        _ = try? frame.envelope()
        _ = try? frame.requestMessage()
        _ = try? frame.responseMessage()
        var header: [UInt8] = []
        frame.header.encode(into: &header)
        fuzzRequire(header == Array(input[..<FrameHeader.size]), "header does not re-encode to its bytes")
    }

    /// Whatever decodes must encode to bytes that decode again; from there on the message is a fixed point.
    /// (One round may normalise: a names flag with no values decodes as `names: []` and encodes without it.)
    static func request(_ body: [UInt8], opcode: UInt8, version: ProtocolVersion) {
        guard let m = try? RequestMessage.decode(opcode: opcode, body: body, version: version) else { return }
        let decode = { (m: RequestMessage) in
            Result { () throws(CQLProtocolError) in
                try RequestMessage.decode(opcode: m.opcode, body: m.encodeBody(version: version), version: version)
            }
        }
        guard case .success(let normal) = decode(m) else {
            return fuzzRequire(false, "request \(opcode) \(version): \(m) re-decodes as \(decode(m))")
        }
        fuzzRequire(decode(normal) == .success(normal), "request \(opcode) \(version): \(normal) is no fixed point")
    }

    static func response(_ body: [UInt8], opcode: UInt8, version: ProtocolVersion) {
        guard let m = try? ResponseMessage.decode(opcode: opcode, body: body, version: version) else { return }
        let decode = { (m: ResponseMessage) in
            Result { () throws(CQLProtocolError) in
                try ResponseMessage.decode(opcode: m.opcode, body: m.encodeBody(version: version), version: version)
            }
        }
        guard case .success(let normal) = decode(m) else {
            return fuzzRequire(false, "response \(opcode) \(version): \(m) re-decodes as \(decode(m))")
        }
        fuzzRequire(decode(normal) == .success(normal), "response \(opcode) \(version): \(normal) is no fixed point")
    }

    /// The partial decoders must agree with the full decoder on whatever both accept.
    static func views(_ body: [UInt8], version: ProtocolVersion) {
        if let q = try? QueryView(body: body, version: version) {
            fuzzRequire(body[q.consistencyOffset] == UInt8(q.consistency.rawValue >> 8), "query consistency offset")
            if case .query(let full)? = try? RequestMessage.decode(opcode: .query, body: body, version: version) {
                fuzzRequire(full.query == q.query && full.parameters.consistency == q.consistency, "QueryView disagrees")
            }
        }
        if let e = try? ExecuteView(body: body, version: version),
            case .execute(let full)? = try? RequestMessage.decode(opcode: .execute, body: body, version: version)
        {
            fuzzRequire(full.id == e.preparedID && full.parameters.consistency == e.consistency, "ExecuteView disagrees")
        }
        if let p = try? PrepareView(body: body, version: version),
            case .prepare(let full)? = try? RequestMessage.decode(opcode: .prepare, body: body, version: version)
        {
            fuzzRequire(full.query == p.query, "PrepareView disagrees")
        }
        if let b = try? BatchView(body: body, version: version),
            case .batch(let full)? = try? RequestMessage.decode(opcode: .batch, body: body, version: version)
        {
            fuzzRequire(full.statements.map(\.kind) == b.statements && full.consistency == b.consistency,
                        "BatchView disagrees")
        }
    }

    /// Every flag combination (compression included, which must be refused), both directions, an opcode
    /// that carries a custom payload and one that does not; then the message after the prefixes.
    static func envelopes(_ body: [UInt8]) {
        for flags in UInt8(0)..<0x20 {
            for isResponse in [false, true] {
                for opcode in [Opcode.query, .options, .result] {
                    let header = FrameHeader(
                        version: .v4, isResponse: isResponse, flags: FrameFlags(rawValue: flags),
                        stream: StreamID(0), opcode: opcode, length: UInt32(body.count))
                    let env = body.withUnsafeBytes { raw in try? FrameEnvelope.read(body: raw, header: header) }
                    guard let env else { continue }
                    fuzzRequire(env.messageOffset >= 0 && env.messageOffset <= body.count, "envelope offset")
                    let message = Array(body[env.messageOffset...])
                    if isResponse {
                        response(message, opcode: opcode.rawValue, version: .v4)
                    } else {
                        request(message, opcode: opcode.rawValue, version: .v4)
                    }
                }
            }
        }
    }
}
