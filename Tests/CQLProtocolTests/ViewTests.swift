import Testing
@testable import CQLProtocol

@Suite struct ViewTests {
    @Test(arguments: [ProtocolVersion.v3, .v4, .v5])
    func queryView(version: ProtocolVersion) throws {
        let message = QueryRequest(
            query: "SELECT * FROM t", parameters: QueryParameters(consistency: .one, values: [.bytes([1])], pageSize: 50))
        var body = RequestMessage.query(message).encodeBody(version: version)
        let view = try QueryView(body: body, version: version)
        #expect(view.query == "SELECT * FROM t")
        #expect(view.consistency == .one)
        #expect(view.consistencyOffset == 4 + 15)
        #expect(view.flags == [.values, .pageSize])

        // Rewriting the consistency in place leaves the rest of the message intact.
        Consistency.write(.localQuorum, at: view.consistencyOffset, into: &body)
        var expected = message
        expected.parameters.consistency = .localQuorum
        #expect(try RequestMessage.decode(opcode: .query, body: body, version: version) == .query(expected))
    }

    @Test func queryViewOverABorrowedBuffer() throws {
        let body = RequestMessage.query(QueryRequest(query: "q", parameters: QueryParameters(consistency: .two)))
            .encodeBody(version: .v4)
        // As the proxy would: the message inside a larger frame buffer, read in place.
        let frame = hex("04 00 00 01 07 00 00 00 00") + body + [0xEE]
        let view = try frame.withUnsafeBytes { raw in
            try QueryView(body: UnsafeRawBufferPointer(rebasing: raw[9..<(9 + body.count)]), version: .v4)
        }
        #expect(view.query == "q")
        #expect(view.consistency == .two)
        #expect(view.consistencyOffset == 5)
    }

    @Test(arguments: [ProtocolVersion.v3, .v4, .v5])
    func executeView(version: ProtocolVersion) throws {
        let body = RequestMessage.execute(
            ExecuteRequest(
                id: [0xCA, 0xFE], resultMetadataID: version >= .v5 ? [1, 2, 3] : nil,
                parameters: QueryParameters(consistency: .localOne, serialConsistency: .localSerial))
        ).encodeBody(version: version)
        let view = try ExecuteView(body: body, version: version)
        #expect(view.preparedID == [0xCA, 0xFE])
        #expect(view.resultMetadataID == (version >= .v5 ? [1, 2, 3] : nil))
        #expect(view.consistency == .localOne)
        #expect(view.consistencyOffset == (version >= .v5 ? 9 : 4))
        #expect(view.flags == .withSerialConsistency)
        #expect(Array(body[view.consistencyOffset...].prefix(2)) == [0x00, 0x0A])
    }

    @Test(arguments: [ProtocolVersion.v3, .v4, .v5])
    func batchView(version: ProtocolVersion) throws {
        let batch = BatchRequest(
            type: .logged,
            statements: [
                BatchStatement(kind: .query("INSERT INTO t (k) VALUES (?)"), values: [.bytes([1, 2, 3]), .null, .unset]),
                BatchStatement(kind: .prepared([7, 7])),
            ],
            consistency: .eachQuorum, defaultTimestamp: 99)
        let body = RequestMessage.batch(batch).encodeBody(version: version)
        let view = try BatchView(body: body, version: version)
        #expect(view.type == .logged)
        #expect(view.statements == [.query("INSERT INTO t (k) VALUES (?)"), .prepared([7, 7])])
        #expect(view.consistency == .eachQuorum)
        #expect(view.flags == .withDefaultTimestamp)
        #expect(Array(body[view.consistencyOffset...].prefix(2)) == [0x00, 0x07])
    }

    @Test(arguments: [ProtocolVersion.v3, .v4, .v5])
    func prepareView(version: ProtocolVersion) throws {
        let body = RequestMessage.prepare(PrepareRequest(query: "SELECT now() FROM system.local", keyspace: version >= .v5 ? "ks" : nil))
            .encodeBody(version: version)
        #expect(try PrepareView(body: body, version: version).query == "SELECT now() FROM system.local")
    }

    @Test func viewsRejectGarbage() {
        #expect(throws: CQLProtocolError.self) { try QueryView(body: [], version: .v4) }
        #expect(throws: CQLProtocolError.self) { try QueryView(body: hex("00 00 00 05 61"), version: .v4) }
        #expect(throws: CQLProtocolError.self) { try QueryView(body: hex("ff ff ff ff"), version: .v4) }
        #expect(throws: CQLProtocolError.self) { try QueryView(body: hex("00 00 00 01 61 00 01"), version: .v4) }
        #expect(throws: CQLProtocolError.self) { try ExecuteView(body: hex("00 09 01"), version: .v4) }
        #expect(throws: CQLProtocolError.self) { try BatchView(body: hex("00 00 01 02"), version: .v4) }
        #expect(throws: CQLProtocolError.self) { try BatchView(body: hex("00 ff ff 00"), version: .v4) }
        #expect(throws: CQLProtocolError.self) { try PrepareView(body: hex("7f ff ff ff 00"), version: .v4) }
    }
}
