import CQLProtocol
import Compression
import Upstream

/// OPTIONS, STARTUP and REGISTER: answered by the proxy itself, never forwarded.
extension ClientSession {
    func answerOptions(_ header: FrameHeader) {
        let cqlVersion = context.upstream.state.info?.cqlVersion ?? "3.4.5"
        let versions = (3...context.config.maxProtocolVersion.rawValue).map { "\($0)/v\($0)" }
        reply(.supported([
            "CQL_VERSION": [cqlVersion],
            "COMPRESSION": CompressionAlgorithm.allCases.map(\.rawValue),
            "PROTOCOL_VERSIONS": versions,
        ]), stream: header.stream)
    }

    func answerStartup(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        var reader = CQLReader(frame.messageBody(header) ?? UnsafeRawBufferPointer(start: nil, count: 0))
        guard let options = try? reader.readStringMap() else {
            reply(.error(.protocolError("Malformed STARTUP body")), stream: header.stream)
            return
        }
        if let name = options["COMPRESSION"], !name.isEmpty {
            guard let algorithm = CompressionAlgorithm(startupName: name) else {
                // Refuse and stay un-started: READY after a refusal (the Go proxy's habit) leaves the client
                // sending compressed frames nobody can read.
                reply(.error(.protocolError("Unsupported compression algorithm: \(name)")), stream: header.stream)
                return
            }
            codec = FrameBodyCodec(algorithm)
        }
        if context.config.clientCredentials != nil {
            awaitingAuthentication = true
            reply(.authenticate(Self.authenticatorClass), stream: header.stream)
            return
        }
        // READY leaves uncompressed (allowed either way), for clients that switch codecs only after it.
        reply(.ready, stream: header.stream)
        isStarted = true
    }

    func answerRegister(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        var reader = CQLReader(frame.messageBody(header) ?? UnsafeRawBufferPointer(start: nil, count: 0))
        guard let types = try? reader.readStringList() else {
            reply(.error(.protocolError("Malformed REGISTER body")), stream: header.stream)
            return
        }
        let known: Set = ["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"]
        if let unknown = types.first(where: { !known.contains($0) }) {
            reply(.error(.protocolError("Invalid value '\(unknown)' for Type")), stream: header.stream)
            return
        }
        // Topology and status events describe the upstream nodes, which clients never see: only
        // SCHEMA_CHANGE is passed on (the proxy is one node to them).
        for type in types { register(type) }
        context.add(self)
        reply(.ready, stream: header.stream)
    }
}
