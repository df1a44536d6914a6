import Testing
@testable import CQLProtocol

@Suite struct MessageRoundTripTests {
    static let versions: [ProtocolVersion] = [.v3, .v4, .v5]

    @Test(arguments: versions)
    func requests(version: ProtocolVersion) throws {
        for message in Samples.requests(version) {
            let body = message.encodeBody(version: version)
            #expect(try RequestMessage.decode(opcode: message.opcode, body: body, version: version) == message)
            let frame = Frame(request: message, version: version, stream: StreamID(3))
            let (back, _) = try #require(try Frame.decode(frame.encode()))
            #expect(try back.requestMessage() == message)
        }
    }

    @Test(arguments: versions)
    func responses(version: ProtocolVersion) throws {
        for message in Samples.responses(version) {
            let body = message.encodeBody(version: version)
            #expect(try ResponseMessage.decode(opcode: message.opcode.rawValue, body: body, version: version) == message, "\(message)")
        }
    }

    @Test func directionIsChecked() {
        #expect(throws: CQLProtocolError.unknownOpcode(Opcode.result.rawValue)) {
            try RequestMessage.decode(opcode: .result, body: [0, 0, 0, 1], version: .v4)
        }
        #expect(throws: CQLProtocolError.unknownOpcode(Opcode.query.rawValue)) {
            try ResponseMessage.decode(opcode: .query, body: [], version: .v4)
        }
        #expect(throws: CQLProtocolError.unknownOpcode(0x11)) {
            try ResponseMessage.decode(opcode: 0x11, body: [], version: .v4)
        }
    }

    @Test func trailingBytesAreIgnored() throws {
        // §1: clients should assume a body may hold more than described.
        #expect(try ResponseMessage.decode(opcode: .result, body: hex("00 00 00 01 ff ff"), version: .v4) == .result(.void))
    }

    @Test func v4FlagsAreAByteAndV5FlagsAnInt() {
        let params = QueryParameters(consistency: .one, pageSize: 10)
        let v4 = RequestMessage.query(QueryRequest(query: "q", parameters: params)).encodeBody(version: .v4)
        let v5 = RequestMessage.query(QueryRequest(query: "q", parameters: params)).encodeBody(version: .v5)
        #expect(v4 == hex("00 00 00 01 71  00 01  04  00 00 00 0a"))
        #expect(v5 == hex("00 00 00 01 71  00 01  00 00 00 04  00 00 00 0a"))
    }

    @Test func customPayloadPrecedesRequestMessage() throws {
        var header = FrameHeader(version: .v4, isResponse: false, flags: .customPayload, stream: StreamID(1), opcode: .prepare)
        let envelope = FrameEnvelope(customPayload: ["k": [1]])
        let message = RequestMessage.prepare(PrepareRequest(query: "SELECT 1"))
        let body = envelope.encode() + message.encodeBody(version: .v4)
        header.length = UInt32(body.count)
        let frame = Frame(header: header, body: body)
        #expect(try frame.envelope().customPayload == ["k": [1]])
        #expect(try frame.requestMessage() == message)
        // OPTIONS carries no payload even with the flag.
        let options = Frame(header: FrameHeader(version: .v4, isResponse: false, flags: .customPayload, stream: StreamID(1), opcode: .options), body: [])
        #expect(try options.requestMessage() == .options)
    }

    @Test func compressedBodiesAreRefused() {
        let frame = Frame(header: FrameHeader(version: .v4, isResponse: false, flags: .compression, stream: StreamID(1), opcode: .query), body: [1, 2])
        #expect(throws: CQLProtocolError.self) { try frame.requestMessage() }
    }
}
