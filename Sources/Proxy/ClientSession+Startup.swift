import CQLProtocol
import Upstream

/// OPTIONS, STARTUP and REGISTER: answered by the proxy itself, never forwarded.
extension ClientSession {
    func answerOptions(_ header: FrameHeader) {
        let cqlVersion = context.upstream.state.info?.cqlVersion ?? "3.4.5"
        let versions = (3...context.config.maxProtocolVersion.rawValue).map { "\($0)/v\($0)" }
        reply(.supported([
            "CQL_VERSION": [cqlVersion],
            "COMPRESSION": [],
            "PROTOCOL_VERSIONS": versions,
        ]), stream: header.stream)
    }

    func answerStartup(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        var reader = CQLReader(frame.messageBody(header) ?? UnsafeRawBufferPointer(start: nil, count: 0))
        guard let options = try? reader.readStringMap() else {
            reply(.error(.protocolError("Malformed STARTUP body")), stream: header.stream)
            return
        }
        if let compression = options["COMPRESSION"], !compression.isEmpty {
            // Refuse and stay un-started: READY after a refusal (the Go proxy's habit) leaves the client
            // sending compressed frames nobody can read.
            reply(.error(.protocolError("Unsupported compression algorithm: \(compression)")), stream: header.stream)
            return
        }
        if context.config.clientCredentials != nil {
            awaitingAuthentication = true
            reply(.authenticate(Self.authenticatorClass), stream: header.stream)
            return
        }
        isStarted = true
        reply(.ready, stream: header.stream)
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
