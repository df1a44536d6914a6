import CQLProtocol
import Testing

/// Bad bytes on one client connection end or error that connection only; the proxy keeps serving others.
@Suite(.serialized) struct MalformedInputTests {
    static let harness = Task { try await ProxyHarness(nodes: 1, workers: 1) }

    private func assertProxyStillServes(_ port: Int) throws {
        let client = try RawCQLClient(port: port)
        try client.startup()
        guard case .result(.rows(let rows)) = try client.query("SELECT release_version FROM system.local") else {
            Issue.record("system.local did not answer with rows"); return
        }
        #expect(rows.rows.count == 1)
    }

    @Test func garbageBytesCloseOnlyThatConnection() async throws {
        let h = try await Self.harness.value
        let bad = try RawCQLClient(port: h.port)
        bad.sendRaw(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        // 'G' (0x47) is no protocol version: answered (it may be a driver probing) and closed.
        #expect(bad.isClosedByPeer())
        try assertProxyStillServes(h.port)
    }

    @Test func aTruncatedFrameWaitsAndThenTheClientMayLeave() async throws {
        let h = try await Self.harness.value
        do {
            let bad = try RawCQLClient(port: h.port)
            try bad.startup()
            let frame = Frame(request: .query(QueryRequest(query: "SELECT * FROM system.local", parameters: QueryParameters(consistency: .one))),
                              version: .v4, stream: StreamID(7)).encode()
            bad.sendRaw(Array(frame.prefix(frame.count - 5)))
        }   // closes with half a frame sent
        try assertProxyStillServes(h.port)
    }

    @Test func anUnknownOpcodeGetsAProtocolErrorOnItsStream() async throws {
        let h = try await Self.harness.value
        let client = try RawCQLClient(port: h.port)
        try client.startup()
        client.sendRaw([0x04, 0x00, 0x00, 0x2A, 0x42, 0x00, 0x00, 0x00, 0x00])
        let frame = try #require(client.readFrame())
        #expect(frame.header.stream == StreamID(42))
        guard case .error(let error) = try frame.responseMessage() else { Issue.record("expected ERROR"); return }
        #expect(error.code == .protocolError)
        // The connection stays usable: framing was intact.
        guard case .result = try client.query("SELECT key FROM system.local") else { Issue.record("not usable"); return }
    }

    @Test func aTwoGigabyteBodyIsRefusedAndTheConnectionClosed() async throws {
        let h = try await Self.harness.value
        let client = try RawCQLClient(port: h.port)
        try client.startup()
        client.sendRaw([0x04, 0x00, 0x00, 0x09, 0x07, 0x7F, 0xFF, 0xFF, 0xF0])
        let frame = try #require(client.readFrame())
        guard case .error(let error) = try frame.responseMessage() else { Issue.record("expected ERROR"); return }
        #expect(error.code == .protocolError)
        #expect(error.message.contains("exceeds"))
        #expect(client.isClosedByPeer())
        try assertProxyStillServes(h.port)
    }

    @Test func versionFiveIsRefusedSoDriversDowngrade() async throws {
        let h = try await Self.harness.value
        let client = try RawCQLClient(port: h.port)
        let stream = client.send(.options, version: .v5)
        let frame = try #require(client.readFrame())
        #expect(frame.header.stream == stream)
        #expect(frame.header.version == 4)
        guard case .error(let error) = try frame.responseMessage() else { Issue.record("expected ERROR"); return }
        #expect(error.code == .protocolError)
        #expect(error.message == "Invalid or unsupported protocol version (5)")
        // Same connection, now at v4, works.
        guard case .supported = try client.roundTrip(.options) else { Issue.record("OPTIONS after refusal failed"); return }
    }

    @Test func versionTwoIsRefusedInItsOwnFraming() async throws {
        let h = try await Self.harness.value
        let client = try RawCQLClient(port: h.port)
        // v2 OPTIONS: version, flags, 1-byte stream 5, opcode, length 0.
        client.sendRaw([0x02, 0x00, 0x05, 0x05, 0x00, 0x00, 0x00, 0x00])
        let head = try #require(client.read(exactly: 8))
        #expect(head[0] == 0x82)
        #expect(head[2] == 5)
        #expect(head[3] == Opcode.error.rawValue)
        let length = Int(head[4]) << 24 | Int(head[5]) << 16 | Int(head[6]) << 8 | Int(head[7])
        let body = try #require(client.read(exactly: length))
        let error = try CQLReader.read(body) { r throws(CQLProtocolError) in try ErrorMessage.read(&r, version: .v3) }
        #expect(error.message == "Invalid or unsupported protocol version (2)")
    }

    @Test func requestsBeforeStartupAreRefused() async throws {
        let h = try await Self.harness.value
        let client = try RawCQLClient(port: h.port)
        guard case .error(let error) = try client.query("SELECT * FROM system.local") else { Issue.record("expected ERROR"); return }
        #expect(error.code == .protocolError)
        #expect(error.message.contains("STARTUP"))
    }

    @Test func unsupportedCompressionIsRefusedWithoutReady() async throws {
        let h = try await Self.harness.value
        let client = try RawCQLClient(port: h.port)
        guard case .error(let error) = try client.roundTrip(.startup(["CQL_VERSION": "3.0.0", "COMPRESSION": "zstd"])) else {
            Issue.record("expected ERROR"); return
        }
        #expect(error.code == .protocolError)
        // No READY follows: the next frame we get answers our next request.
        guard case .supported = try client.roundTrip(.options) else { Issue.record("expected SUPPORTED"); return }
    }
}
