import CQLProtocol
import Foundation
import Testing
import TestSupport
@testable import CQLMock

/// Server behaviour that needs the engine behind it: prepared registries, schema events, keyspaces, paging flags.
@Suite struct EngineBackedTests {
    private func query(_ text: String, pageSize: Int32? = nil, pagingState: [UInt8]? = nil) -> RequestMessage {
        .query(QueryRequest(query: text, parameters: QueryParameters(consistency: .one, pageSize: pageSize,
                                                                     pagingState: pagingState)))
    }

    private func prepare(_ client: RawClient, _ text: String) throws -> PreparedResult {
        let response = try client.roundTrip(.prepare(PrepareRequest(query: text)))
        guard case .result(.prepared(let p)) = response else {
            Issue.record("PREPARE \(text): \(response)")
            throw CancellationError()
        }
        return p
    }

    private func execute(_ id: [UInt8], skipMetadata: Bool = false) -> RequestMessage {
        .execute(ExecuteRequest(id: id, parameters: QueryParameters(consistency: .one, skipMetadata: skipMetadata)))
    }

    @Test func unpreparedAfterForgetAndOnAnotherNode() throws {
        let cluster = try MockCluster(nodes: 2)
        let client = try RawClient(cluster.node(0))
        try client.startup()
        let prepared = try prepare(client, "SELECT cluster_name FROM system.local")
        guard case .result(.rows) = try client.roundTrip(execute(prepared.id)) else {
            Issue.record("EXECUTE did not return rows"); return
        }
        // The registry is per node: node 1 never saw the PREPARE.
        let other = try RawClient(cluster.node(1))
        try other.startup()
        #expect(try other.roundTrip(execute(prepared.id)).error?.details == .unprepared(id: prepared.id))
        cluster.forgetPrepared(node: 0)
        #expect(try client.roundTrip(execute(prepared.id)).error?.details == .unprepared(id: prepared.id))
        // Re-preparing gives the same id back (it is a hash of the query), and EXECUTE works again.
        #expect(try prepare(client, "SELECT cluster_name FROM system.local").id == prepared.id)
        #expect(try client.roundTrip(execute(prepared.id)).error == nil)
    }

    @Test func skipMetadataIsHonoured() throws {
        let cluster = try MockCluster()
        let client = try RawClient(cluster.node(0))
        try client.startup()
        let prepared = try prepare(client, "SELECT cluster_name, release_version FROM system.local")
        #expect(prepared.resultMetadata.columns?.map(\.name) == ["cluster_name", "release_version"])
        guard case .result(.rows(let full)) = try client.roundTrip(execute(prepared.id)),
              case .result(.rows(let bare)) = try client.roundTrip(execute(prepared.id, skipMetadata: true)) else {
            Issue.record("EXECUTE did not return rows"); return
        }
        #expect(full.metadata.columns?.count == 2)
        #expect(bare.metadata.columns == nil && bare.metadata.columnCount == 2)
        #expect(bare.rows == full.rows)
    }

    @Test func useSetsTheConnectionKeyspace() throws {
        let cluster = try MockCluster()
        let client = try RawClient(cluster.node(0))
        try client.startup()
        #expect(try client.roundTrip(query("USE system")) == .result(.setKeyspace("system")))
        guard case .result(.rows(let rows)) = try client.roundTrip(query("SELECT cluster_name FROM local")) else {
            Issue.record("unqualified SELECT after USE failed"); return
        }
        #expect(rows.rows.count == 1)
    }

    @Test func schemaChangeIsPushedToRegisteredConnectionsOfEveryNode() throws {
        let cluster = try MockCluster(nodes: 2)
        var listeners: [RawClient] = []
        for i in 0..<2 {
            let listener = try RawClient(cluster.node(i))
            try listener.startup(version: i == 0 ? .v4 : .v3)
            #expect(try listener.roundTrip(.register(["SCHEMA_CHANGE"]), version: i == 0 ? .v4 : .v3) == .ready)
            listeners.append(listener)
        }
        let statusOnly = try RawClient(cluster.node(1), timeout: .milliseconds(200))
        try statusOnly.startup()
        _ = try statusOnly.roundTrip(.register(["STATUS_CHANGE"]))

        let ddl = try RawClient(cluster.node(0))
        try ddl.startup()
        let created = CQLProtocol.SchemaChange(change: "CREATED", target: .keyspace("events_ks"))
        let answer = try ddl.roundTrip(query(
            "CREATE KEYSPACE events_ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"))
        #expect(answer == .result(.schemaChange(created)))
        for (i, listener) in listeners.enumerated() {
            let (frame, event) = try listener.readResponse()
            #expect(frame.header.stream == .event && frame.header.version == (i == 0 ? 4 : 3))
            #expect(event == .event(.schemaChange(created)))
        }
        #expect(statusOnly.nextEvent() == .timedOut)
    }

    @Test func pagingStateRoundTripsThroughTheServer() throws {
        let cluster = try MockCluster()
        let client = try RawClient(cluster.node(0))
        try client.startup()
        for statement in [
            "CREATE KEYSPACE pg WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            "CREATE TABLE pg.t (id int PRIMARY KEY, v text)",
        ] { #expect(try client.roundTrip(query(statement)).error == nil) }
        for i in 0..<25 { #expect(try client.roundTrip(query("INSERT INTO pg.t (id, v) VALUES (\(i), 'v\(i)')")).error == nil) }
        var seen = 0, pages = 0
        var state: [UInt8]?
        repeat {
            guard case .result(.rows(let rows)) = try client.roundTrip(query("SELECT * FROM pg.t", pageSize: 10, pagingState: state))
            else { Issue.record("page \(pages) failed"); return }
            seen += rows.rows.count
            pages += 1
            state = rows.metadata.pagingState
        } while state != nil && pages < 10
        #expect(seen == 25 && pages == 3)
    }
}
