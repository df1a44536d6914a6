import Testing
@testable import CQLProtocol

@Suite struct FrameHeaderTests {
    @Test func parsesRequestHeader() {
        let bytes = hex("04 02 00 07 07 00 00 00 10")
        guard case .header(let h) = FrameHeader.parse(bytes) else { Issue.record("not a header"); return }
        #expect(h.version == 4)
        #expect(!h.isResponse)
        #expect(h.flags == .tracing)
        #expect(h.stream == StreamID(7))
        #expect(h.opcode == Opcode.query.rawValue)
        #expect(h.knownOpcode == .query)
        #expect(h.length == 16)
        #expect(h.protocolVersion == .v4)
    }

    @Test func responseBitIsNotPartOfTheVersion() {
        guard case .header(let h) = FrameHeader.parse(hex("85 00 ff ff 0c 00 00 00 00")) else {
            Issue.record("not a header"); return
        }
        #expect(h.version == 5)
        #expect(h.isResponse)
        #expect(h.stream == .event)
        #expect(!h.protocolVersion.isSupportedFraming)
        #expect(ProtocolVersion.v3.isSupportedFraming && ProtocolVersion.v4.isSupportedFraming)
    }

    @Test func incompleteUntilNineBytes() {
        let full = hex("03 00 00 01 05 00 00 00 00")
        for n in 0..<FrameHeader.size {
            #expect(FrameHeader.parse(Array(full.prefix(n))) == .incomplete, "prefix \(n)")
        }
        #expect(FrameHeader.parse(full) != .incomplete)
    }

    @Test(arguments: [UInt8(0x01), 0x02, 0x81, 0x82, 0x00, 0x06, 0x7F])
    func oldAndUnknownVersionsRejectedOnFirstByte(first: UInt8) {
        #expect(FrameHeader.parse([first]) == .invalid(.unsupportedVersion(first & 0x7F)))
    }

    @Test func legacyStreamIDs() {
        // v2 header: version, flags, 1-byte stream, opcode, length.
        #expect(FrameHeader.legacyStreamID(hex("02 00 05 01 00 00 00 00")) == StreamID(5))
        #expect(FrameHeader.legacyStreamID(hex("01 00 ff")) == StreamID(-1))
        #expect(FrameHeader.legacyStreamID(hex("01 00")) == nil)
        #expect(FrameHeader.legacyStreamID(hex("06 00 01 02")) == StreamID(0x0102))
        #expect(FrameHeader.legacyStreamID(hex("06 00 01")) == nil)
    }

    @Test func negativeLengthIsTooLarge() {
        #expect(
            FrameHeader.parse(hex("04 00 00 01 07 ff ff ff ff"))
                == .invalid(.frameTooLarge(length: -1, limit: FrameHeader.defaultMaxBodyLength)))
    }

    @Test func twoGigabyteBodyIsOverTheLimit() {
        // 0x7FFFFFFF: 2 GiB - 1, the largest positive [int].
        #expect(
            FrameHeader.parse(hex("04 00 00 01 07 7f ff ff ff"))
                == .invalid(.frameTooLarge(length: Int(Int32.max), limit: FrameHeader.defaultMaxBodyLength)))
        #expect(
            FrameHeader.parse(hex("04 00 00 01 07 00 00 01 00"), maxBodyLength: 255)
                == .invalid(.frameTooLarge(length: 256, limit: 255)))
        if case .header(let h) = FrameHeader.parse(hex("04 00 00 01 07 10 00 00 00")) {
            #expect(Int(h.length) == FrameHeader.defaultMaxBodyLength)
        } else {
            Issue.record("256 MiB exactly is allowed")
        }
    }

    @Test func encodeRoundTrips() {
        let h = FrameHeader(
            version: .v4, isResponse: true, flags: [.warning, .customPayload], stream: StreamID(-2),
            opcode: .result, length: 0x0102_0304)
        var out: [UInt8] = []
        h.encode(into: &out)
        #expect(out == hex("84 0c ff fe 08 01 02 03 04"))
        #expect(FrameHeader.parse(out) == .header(h))
    }

    @Test func unknownOpcodeStillParses() {
        guard case .header(let h) = FrameHeader.parse(hex("04 00 00 09 04 00 00 00 00")) else {
            Issue.record("not a header"); return
        }
        #expect(h.opcode == 4)
        #expect(h.knownOpcode == nil)
        #expect(throws: CQLProtocolError.unknownOpcode(4)) {
            try RequestMessage.decode(opcode: h.opcode, body: [], version: .v4)
        }
    }

    @Test func streamIDIsRewrittenInPlace() {
        var frame = hex("04 00 00 01 05 00 00 00 00")
        FrameHeader.writeStreamID(StreamID(0x1234), into: &frame)
        #expect(frame == hex("04 00 12 34 05 00 00 00 00"))
        frame.withUnsafeMutableBytes { FrameHeader.writeStreamID(StreamID(-1), into: $0) }
        #expect(frame == hex("04 00 ff ff 05 00 00 00 00"))
    }

    @Test func frameDecodeWaitsForTheWholeBody() throws {
        let bytes = hex("84 00 00 01 03 00 00 00 03 00 01 41 ee")
        #expect(try Frame.decode(Array(bytes.prefix(11))) == nil)
        let (frame, used) = try #require(try Frame.decode(bytes))
        #expect(used == 12)
        #expect(try frame.responseMessage() == .authenticate("A"))
    }
}
