import CQLProtocol
import Testing
@testable import CQLMock

/// The node's protocol behaviour, checked with exact frames.
@Suite struct ServerProtocolTests {
    @Test func unsupportedVersionIsAnsweredInV4OnTheRequestStream() throws {
        let cluster = try MockCluster()
        for version: UInt8 in [5, 0x42] {
            let client = try RawClient(cluster.node(0))
            // OPTIONS, stream 0x0102, empty body.
            try client.sendRaw([version, 0x00, 0x01, 0x02, 0x05, 0, 0, 0, 0])
            let message = "Invalid or unsupported protocol version (\(version)); supported versions are (3/v3, 4/v4)"
            var body: [UInt8] = [0, 0, 0, 0x0A, 0, UInt8(message.utf8.count)] + Array(message.utf8)
            body = [0x84, 0x00, 0x01, 0x02, 0x00] + withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init) + body
            let frame = try #require(client.readFrame())
            #expect(frame.encode() == body)
        }
        // v2 (8-byte header, 1-byte stream 7): the answer still goes back on stream 7.
        let client = try RawClient(cluster.node(0))
        try client.sendRaw([0x02, 0x00, 0x07, 0x05, 0, 0, 0, 0])
        let (frame, response) = try client.readResponse()
        #expect(frame.header.version == 4 && frame.header.stream == StreamID(7))
        #expect(response.error?.code == .protocolError)
        #expect(response.error?.message.contains("unsupported protocol version (2)") == true)
    }

    @Test func optionsAnswersSupportedInTheRequestVersion() throws {
        let cluster = try MockCluster()
        for version in [ProtocolVersion.v3, .v4] {
            let client = try RawClient(cluster.node(0))
            let response = try client.roundTrip(.options, version: version)
            #expect(response == .supported([
                "CQL_VERSION": ["3.4.5"], "COMPRESSION": [], "PROTOCOL_VERSIONS": ["3/v3", "4/v4"],
            ]))
        }
    }

    @Test func requestsBeforeStartupAreRefusedAndStartupOnlyOnce() throws {
        let cluster = try MockCluster()
        let client = try RawClient(cluster.node(0))
        let early = try client.roundTrip(.query(QueryRequest(query: "SELECT * FROM system.local",
                                                             parameters: QueryParameters(consistency: .one))))
        #expect(early.error?.code == .protocolError)
        #expect(early.error?.message == "Unexpected message QUERY, expecting STARTUP or OPTIONS")
        try client.startup()
        let again = try client.roundTrip(.startup(["CQL_VERSION": "3.0.0"]))
        #expect(again.error?.code == .protocolError)
    }

    @Test func streamAndVersionAreEchoed() throws {
        let cluster = try MockCluster()
        let client = try RawClient(cluster.node(0))
        let stream = try client.send(.options, version: .v3, stream: 31000)
        let (frame, _) = try client.readResponse()
        #expect(frame.header.stream == stream && frame.header.version == 3 && frame.header.isResponse)
    }

    @Test func unknownOpcodeIsAProtocolErrorAndTheConnectionStays() throws {
        let cluster = try MockCluster()
        let client = try RawClient(cluster.node(0))
        try client.sendRaw([0x04, 0x00, 0x00, 0x09, 0x04, 0, 0, 0, 0])   // 0x04 is not an opcode
        let (frame, response) = try client.readResponse()
        #expect(frame.header.stream == StreamID(9))
        #expect(response.error?.code == .protocolError)
        #expect(try client.roundTrip(.options) != .ready)   // still served
    }

    @Test func malformedFrameClosesTheConnection() throws {
        let cluster = try MockCluster()
        let client = try RawClient(cluster.node(0))
        try client.sendRaw([0x04, 0x00, 0x00, 0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF])   // negative length
        #expect(client.nextEvent() == .closed)
    }

    @Test func undecodableBodyIsAnsweredAndTheConnectionStays() throws {
        let cluster = try MockCluster()
        let client = try RawClient(cluster.node(0))
        try client.sendRaw([0x04, 0x00, 0x00, 0x03, 0x01, 0, 0, 0, 2, 0x00, 0x05])   // STARTUP map cut short
        let (frame, response) = try client.readResponse()
        #expect(frame.header.stream == StreamID(3) && response.error?.code == .protocolError)
        try client.startup()
    }

    @Test func executeOfAnUnknownIDIsUnprepared() throws {
        let cluster = try MockCluster()
        let client = try RawClient(cluster.node(0))
        try client.startup()
        let id: [UInt8] = Array(0..<16)
        let response = try client.roundTrip(.execute(ExecuteRequest(id: id, parameters: QueryParameters(consistency: .one))))
        #expect(response.error?.code == .unprepared)
        #expect(response.error?.details == .unprepared(id: id))
        let batch = BatchRequest(type: .logged, statements: [BatchStatement(kind: .prepared(id))], consistency: .one)
        #expect(try client.roundTrip(.batch(batch)).error?.details == .unprepared(id: id))
    }

    @Test func registerRejectsUnknownEventTypes() throws {
        let cluster = try MockCluster()
        let client = try RawClient(cluster.node(0))
        try client.startup()
        #expect(try client.roundTrip(.register(["SCHEMA_CHANGE", "STATUS_CHANGE"])) == .ready)
        #expect(try client.roundTrip(.register(["NOT_AN_EVENT"])).error?.code == .protocolError)
    }
}

/// PasswordAuthenticator over raw frames.
@Suite struct ServerAuthTests {
    @Test func startupAsksForPasswordAuthentication() throws {
        let cluster = try MockCluster(credentials: (user: "alice", password: "s3cret"))
        let client = try RawClient(cluster.node(0))
        let answer = try client.roundTrip(.startup(["CQL_VERSION": "3.0.0"]))
        #expect(answer == .authenticate("org.apache.cassandra.auth.PasswordAuthenticator"))
        // Nothing but AUTH_RESPONSE while authenticating.
        #expect(try client.roundTrip(.options).error?.code == .protocolError)
        let wrong = try client.roundTrip(.authResponse([0] + Array("alice".utf8) + [0] + Array("nope".utf8)))
        #expect(wrong.error?.code == .badCredentials)
        let right = try client.roundTrip(.authResponse([0] + Array("alice".utf8) + [0] + Array("s3cret".utf8)))
        #expect(right == .authSuccess(nil))
        #expect(try client.roundTrip(.options) != .ready)
    }

    @Test func queriesBeforeLoginAreRefused() throws {
        let cluster = try MockCluster(credentials: (user: "alice", password: "s3cret"))
        let client = try RawClient(cluster.node(0))
        _ = try client.roundTrip(.startup(["CQL_VERSION": "3.0.0"]))
        let query = QueryRequest(query: "SELECT * FROM system.local", parameters: QueryParameters(consistency: .one))
        #expect(try client.roundTrip(.query(query)).error?.code == .protocolError)
    }
}
