import Foundation
@testable import CQLProtocol

/// A message of every shape, for round trips and as seeds of the randomized test.
enum Samples {
    static let columns = [
        ColumnSpec(keyspace: "ks", table: "users", name: "id", type: .uuid),
        ColumnSpec(keyspace: "ks", table: "users", name: "tags", type: .map(.varchar, .list(.int))),
    ]

    static func requests(_ version: ProtocolVersion) -> [RequestMessage] {
        var params = QueryParameters(
            consistency: .localQuorum, values: [.bytes([1]), .null, .unset], names: ["a", "b", "c"],
            skipMetadata: true, pageSize: 100, pagingState: [9, 9], serialConsistency: .localSerial,
            defaultTimestamp: -5)
        if version >= .v5 {
            params.keyspace = "ks"
            params.nowInSeconds = 42
        }
        return [
            .startup(["CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"]),
            .authResponse(Array("\0cassandra\0cassandra".utf8)),
            .authResponse(nil),
            .options,
            .query(QueryRequest(query: "SELECT * FROM ks.users WHERE id = ?", parameters: params)),
            .query(QueryRequest(query: "", parameters: QueryParameters(consistency: .one))),
            .prepare(PrepareRequest(query: "SELECT 1", keyspace: version >= .v5 ? "ks" : nil)),
            .execute(
                ExecuteRequest(
                    id: [1, 2, 3], resultMetadataID: version >= .v5 ? [4, 5] : nil,
                    parameters: QueryParameters(consistency: .eachQuorum, values: [.bytes([])]))),
            .batch(
                BatchRequest(
                    type: .counter,
                    statements: [
                        BatchStatement(kind: .query("UPDATE c SET n = n + 1"), values: []),
                        BatchStatement(kind: .prepared([0xAA]), values: [.unset, .null, .bytes([1, 2])]),
                    ],
                    consistency: .all, serialConsistency: .serial, defaultTimestamp: 1,
                    keyspace: version >= .v5 ? "ks" : nil, nowInSeconds: version >= .v5 ? 7 : nil)),
            .batch(BatchRequest(type: .logged, statements: [], consistency: .any)),
            .register(["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"]),
        ]
    }

    static func errors(_ version: ProtocolVersion) -> [ErrorMessage] {
        let reasons = version >= .v5 ? [FailureReason(endpoint: [10, 0, 0, 2], code: 3)] : []
        let numFailures: Int32 = version >= .v5 ? 1 : 2
        var out: [ErrorMessage] = [
            ErrorMessage(code: .serverError, message: "boom"),
            .protocolError("Invalid or unsupported protocol version (2)"),
            ErrorMessage(code: .badCredentials, message: "bad"),
            ErrorMessage(code: .unavailable, message: "u", details: .unavailable(consistency: .all, required: 3, alive: 2)),
            ErrorMessage(code: .overloaded, message: "o"),
            ErrorMessage(code: .isBootstrapping, message: "b"),
            ErrorMessage(code: .truncateError, message: "t"),
            ErrorMessage(
                code: .writeTimeout, message: "wt",
                details: .writeTimeout(consistency: .quorum, received: 1, blockFor: 2, writeType: "SIMPLE", contentions: nil)),
            ErrorMessage(code: .readTimeout, message: "rt", details: .readTimeout(consistency: .one, received: 0, blockFor: 1, dataPresent: true)),
            ErrorMessage(
                code: .readFailure, message: "rf",
                details: .readFailure(consistency: .two, received: 1, blockFor: 2, numFailures: numFailures, reasons: reasons, dataPresent: false)),
            ErrorMessage(
                code: .functionFailure, message: "ff",
                details: .functionFailure(keyspace: "ks", function: "f", argTypes: ["int", "text"])),
            ErrorMessage(
                code: .writeFailure, message: "wf",
                details: .writeFailure(consistency: .three, received: 0, blockFor: 3, numFailures: numFailures, reasons: reasons, writeType: "BATCH_LOG")),
            ErrorMessage(code: .syntaxError, message: "line 1:0 no viable alternative"),
            ErrorMessage(code: .unauthorized, message: "no"),
            ErrorMessage(code: .invalid, message: "Keyspace 'x' does not exist"),
            ErrorMessage(code: .configError, message: "c"),
            ErrorMessage(code: .alreadyExists, message: "ae", details: .alreadyExists(keyspace: "ks", table: "")),
            .unprepared(id: [0xDE, 0xAD]),
            ErrorMessage(code: ErrorCode(rawValue: 0x7777), message: "from the future"),
        ]
        if version >= .v5 {
            out.append(
                ErrorMessage(
                    code: .writeTimeout, message: "cas",
                    details: .writeTimeout(consistency: .serial, received: 0, blockFor: 1, writeType: "CAS", contentions: 4)))
            out.append(
                ErrorMessage(code: .casWriteUnknown, message: "cwu", details: .casWriteUnknown(consistency: .serial, received: 1, blockFor: 2)))
        }
        return out
    }

    static func responses(_ version: ProtocolVersion) -> [ResponseMessage] {
        var paged = RowsMetadata(columns: columns, pagingState: [1, 2, 3])
        if version >= .v5 { paged.newMetadataID = [7] }
        let rows = Rows(
            metadata: paged,
            rows: [[[1], nil], [[], [0, 0, 0, 0]]])
        let global = Rows(
            metadata: RowsMetadata(columns: [columns[0]], globalTableSpec: TableSpec(keyspace: "ks", table: "users")),
            rows: [])
        let bare = Rows(metadata: RowsMetadata(noMetadataColumnCount: 2, pagingState: []), rows: [[nil, [5]]])
        let prepared = PreparedResult(
            id: Array(repeating: 0xAB, count: 16), resultMetadataID: version >= .v5 ? [1] : nil,
            metadata: PreparedMetadata(columns: columns, partitionKeyIndexes: version >= .v4 ? [1, 0] : []),
            resultMetadata: RowsMetadata(columns: columns))
        let changes: [SchemaChange.Target] = [
            .keyspace("ks"), .table(keyspace: "ks", name: "t"), .type(keyspace: "ks", name: "addr"),
            .function(keyspace: "ks", name: "f", argTypes: ["int"]), .aggregate(keyspace: "ks", name: "a", argTypes: []),
        ]
        return errors(version).map { .error($0) } + [
            .ready,
            .authenticate("org.apache.cassandra.auth.PasswordAuthenticator"),
            .supported(["CQL_VERSION": ["3.0.0"], "PROTOCOL_VERSIONS": ["3/v3", "4/v4", "5/v5-beta"]]),
            .result(.void),
            .result(.rows(rows)),
            .result(.rows(global)),
            .result(.rows(bare)),
            .result(.setKeyspace("ks")),
            .result(.prepared(prepared)),
            .event(.topologyChange(change: "NEW_NODE", address: CQLInet(address: [10, 0, 0, 3], port: 9042))),
            .event(.statusChange(change: "DOWN", address: CQLInet(address: Array(repeating: 0, count: 15) + [1], port: 9042))),
            .authChallenge([1]),
            .authSuccess(nil),
        ] + changes.flatMap { target in
            [ResponseMessage.result(.schemaChange(SchemaChange(change: "UPDATED", target: target))),
             .event(.schemaChange(SchemaChange(change: "DROPPED", target: target)))]
        }
    }
}
