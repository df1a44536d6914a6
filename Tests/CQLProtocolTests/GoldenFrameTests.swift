import Testing
@testable import CQLProtocol

/// Frames written out byte by byte from the v4 spec. Each is decoded, compared with the message it stands
/// for, and re-encoded to the very same bytes.
@Suite struct GoldenFrameTests {
    /// Decodes `bytes` as one whole frame, checks the announced length, and re-encodes the message.
    func roundTrip(_ bytes: [UInt8], request expected: RequestMessage) throws {
        let (frame, used) = try #require(try Frame.decode(bytes))
        #expect(used == bytes.count, "header length disagrees with the body written out")
        let message = try frame.requestMessage()
        #expect(message == expected)
        let again = Frame(request: message, version: frame.header.protocolVersion, stream: frame.header.stream)
        #expect(hexString(again.encode()) == hexString(bytes))
    }

    func roundTrip(_ bytes: [UInt8], response expected: ResponseMessage) throws {
        let (frame, used) = try #require(try Frame.decode(bytes))
        #expect(used == bytes.count, "header length disagrees with the body written out")
        let message = try frame.responseMessage()
        #expect(message == expected)
        let again = Frame(response: message, version: frame.header.protocolVersion, stream: frame.header.stream)
        #expect(hexString(again.encode()) == hexString(bytes))
    }

    @Test func startup() throws {
        try roundTrip(
            hex("""
                04 00 00 01 01 00 00 00 16
                00 01
                00 0b 43 51 4c 5f 56 45 52 53 49 4f 4e
                00 05 33 2e 30 2e 30
                """),
            request: .startup(["CQL_VERSION": "3.0.0"]))
    }

    @Test func options() throws {
        try roundTrip(hex("04 00 00 00 05 00 00 00 00"), request: .options)
    }

    @Test func ready() throws {
        try roundTrip(hex("84 00 00 01 02 00 00 00 00"), response: .ready)
    }

    @Test func supported() throws {
        try roundTrip(
            hex("""
                84 00 00 00 06 00 00 00 34
                00 02
                00 0b 43 4f 4d 50 52 45 53 53 49 4f 4e   00 02  00 03 6c 7a 34  00 06 73 6e 61 70 70 79
                00 0b 43 51 4c 5f 56 45 52 53 49 4f 4e   00 01  00 05 33 2e 30 2e 30
                """),
            response: .supported(["COMPRESSION": ["lz4", "snappy"], "CQL_VERSION": ["3.0.0"]]))
    }

    @Test func errorUnavailable() throws {
        try roundTrip(
            hex("""
                84 00 00 05 00 00 00 00 1b
                00 00 10 00
                00 0b 75 6e 61 76 61 69 6c 61 62 6c 65
                00 04  00 00 00 03  00 00 00 01
                """),
            response: .error(
                ErrorMessage(
                    code: .unavailable, message: "unavailable",
                    details: .unavailable(consistency: .quorum, required: 3, alive: 1))))
    }

    @Test func errorUnprepared() throws {
        try roundTrip(
            hex("84 00 00 05 00 00 00 00 0c   00 00 25 00   00 02 6e 6f   00 02 12 34"),
            response: .error(ErrorMessage(code: .unprepared, message: "no", details: .unprepared(id: [0x12, 0x34]))))
    }

    @Test func resultRows() throws {
        try roundTrip(
            hex("""
                84 00 00 02 08 00 00 00 40
                00 00 00 02
                00 00 00 01  00 00 00 02
                00 02 6b 73  00 01 74
                00 02 69 64  00 09
                00 04 6e 61 6d 65  00 0d
                00 00 00 02
                00 00 00 04 00 00 00 01   00 00 00 03 61 62 63
                00 00 00 04 00 00 00 02   ff ff ff ff
                """),
            response: .result(
                .rows(
                    Rows(
                        metadata: RowsMetadata(
                            columns: [
                                ColumnSpec(keyspace: "ks", table: "t", name: "id", type: .int),
                                ColumnSpec(keyspace: "ks", table: "t", name: "name", type: .varchar),
                            ],
                            globalTableSpec: TableSpec(keyspace: "ks", table: "t")),
                        rows: [[[0, 0, 0, 1], Array("abc".utf8)], [[0, 0, 0, 2], nil]]))))
    }

    @Test func resultPrepared() throws {
        try roundTrip(
            hex("""
                84 00 00 03 08 00 00 00 2d
                00 00 00 04
                00 04 ca fe ba be
                00 00 00 01  00 00 00 01  00 00 00 01  00 00
                00 02 6b 73  00 01 74
                00 02 69 64  00 09
                00 00 00 04  00 00 00 00
                """),
            response: .result(
                .prepared(
                    PreparedResult(
                        id: [0xCA, 0xFE, 0xBA, 0xBE],
                        metadata: PreparedMetadata(
                            columns: [ColumnSpec(keyspace: "ks", table: "t", name: "id", type: .int)],
                            partitionKeyIndexes: [0], globalTableSpec: TableSpec(keyspace: "ks", table: "t")),
                        resultMetadata: RowsMetadata(noMetadataColumnCount: 0)))))
    }

    @Test func eventSchemaChange() throws {
        try roundTrip(
            hex("""
                84 00 ff ff 0c 00 00 00 26
                00 0d 53 43 48 45 4d 41 5f 43 48 41 4e 47 45
                00 07 43 52 45 41 54 45 44
                00 05 54 41 42 4c 45
                00 02 6b 73
                00 01 74
                """),
            response: .event(.schemaChange(SchemaChange(change: "CREATED", target: .table(keyspace: "ks", name: "t")))))
    }

    @Test func eventStatusChange() throws {
        try roundTrip(
            hex("""
                84 00 ff ff 0c 00 00 00 1c
                00 0d 53 54 41 54 55 53 5f 43 48 41 4e 47 45
                00 02 55 50
                04 7f 00 00 01  00 00 23 52
                """),
            response: .event(.statusChange(change: "UP", address: CQLInet(address: [127, 0, 0, 1], port: 9042))))
    }

    @Test func queryWithPageSizeAndPagingState() throws {
        try roundTrip(
            hex("""
                04 00 00 02 07 00 00 00 20
                00 00 00 0f 53 45 4c 45 43 54 20 2a 20 46 52 4f 4d 20 74
                00 01
                0c
                00 00 13 88
                00 00 00 02 ab cd
                """),
            request: .query(
                QueryRequest(
                    query: "SELECT * FROM t",
                    parameters: QueryParameters(consistency: .one, pageSize: 5000, pagingState: [0xAB, 0xCD]))))
    }

    @Test func execute() throws {
        try roundTrip(
            hex("""
                04 00 00 03 0a 00 00 00 15
                00 02 12 34
                00 06
                01
                00 02  00 00 00 04 00 00 00 2a  ff ff ff fe
                """),
            request: .execute(
                ExecuteRequest(
                    id: [0x12, 0x34],
                    parameters: QueryParameters(consistency: .localQuorum, values: [.bytes([0, 0, 0, 42]), .unset]))))
    }

    @Test func batch() throws {
        try roundTrip(
            hex("""
                04 00 00 04 0d 00 00 00 35
                01
                00 02
                00  00 00 00 1a 49 4e 53 45 52 54 20 49 4e 54 4f 20 74 28 6b 29 20 56 41 4c 55 45 53 28 3f 29
                    00 01  00 00 00 01 07
                01  00 02 12 34
                    00 00
                00 04
                10
                00 09
                """),
            request: .batch(
                BatchRequest(
                    type: .unlogged,
                    statements: [
                        BatchStatement(kind: .query("INSERT INTO t(k) VALUES(?)"), values: [.bytes([7])]),
                        BatchStatement(kind: .prepared([0x12, 0x34])),
                    ],
                    consistency: .quorum, serialConsistency: .localSerial)))
    }

    @Test func v3PreparedHasNoPartitionKeyIndexes() throws {
        try roundTrip(
            hex("""
                83 00 00 03 08 00 00 00 27
                00 00 00 04
                00 04 ca fe ba be
                00 00 00 01  00 00 00 01
                00 02 6b 73  00 01 74
                00 02 69 64  00 09
                00 00 00 04  00 00 00 00
                """),
            response: .result(
                .prepared(
                    PreparedResult(
                        id: [0xCA, 0xFE, 0xBA, 0xBE],
                        metadata: PreparedMetadata(
                            columns: [ColumnSpec(keyspace: "ks", table: "t", name: "id", type: .int)],
                            globalTableSpec: TableSpec(keyspace: "ks", table: "t")),
                        resultMetadata: RowsMetadata(noMetadataColumnCount: 0)))))
    }

    @Test func responseEnvelopeWithTracingAndWarnings() throws {
        let bytes = hex("""
            84 0a 00 01 08 00 00 00 20
            00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f
            00 01 00 08 74 6f 6f 20 6d 61 6e 79
            00 00 00 01
            """)
        let (frame, _) = try #require(try Frame.decode(bytes))
        let env = try frame.envelope()
        #expect(env.tracingID?.uuidString == "00010203-0405-0607-0809-0A0B0C0D0E0F")
        #expect(env.warnings == ["too many"])
        #expect(env.messageOffset == 28)
        #expect(try frame.responseMessage() == .result(.void))
        #expect(env.encode() == Array(frame.body.prefix(28)))
    }
}
