import CQLProtocol
import Foundation
import Testing

/// system.local / system.peers answered by the proxy: the client sees one node with the upstream's versions.
@Suite(.serialized) struct SystemTablesTests {
    static let harness = Task { try await ProxyHarness(nodes: 3, workers: 1) }

    private func rows(_ query: String, version: ProtocolVersion = .v4) async throws -> Rows {
        let h = try await Self.harness.value
        let client = try RawCQLClient(port: h.port)
        try client.startup(version: version)
        let answer = try client.query(query, version: version)
        guard case .result(.rows(let rows)) = answer else {
            Issue.record("\(query) answered \(answer)")
            throw CQLProtocolError.malformed("no rows")
        }
        return rows
    }

    private func value(_ rows: Rows, _ column: String, row: Int = 0) throws -> CQLValue {
        let columns = try #require(rows.metadata.columns)
        let index = try #require(columns.firstIndex { $0.name == column }, "no column \(column)")
        return try CQLValue.decode(rows.rows[row][index], as: columns[index].type)
    }

    @Test func localShowsOneNodeWithTheUpstreamFacts() async throws {
        let h = try await Self.harness.value
        let local = try await rows("SELECT * FROM system.local WHERE key='local'")
        #expect(local.rows.count == 1)
        #expect(try value(local, "key") == .text("local"))
        #expect(try value(local, "release_version") == .text("4.0.11"))
        #expect(try value(local, "cluster_name") == .text(h.cluster.clusterName))
        #expect(try value(local, "data_center") == .text("datacenter1"))
        #expect(try value(local, "native_protocol_version") == .text("4"))
        #expect(try value(local, "rpc_address") == .inet([127, 0, 0, 1]))
        guard case .uuid = try value(local, "schema_version") else { Issue.record("schema_version"); return }
    }

    @Test func peersIsEmptyAndPeersV2IsInvalid() async throws {
        let peers = try await rows("SELECT * FROM system.peers")
        #expect(peers.rows.isEmpty)
        #expect(peers.metadata.columns?.map(\.name).contains("rpc_address") == true)
        let h = try await Self.harness.value
        let client = try RawCQLClient(port: h.port)
        try client.startup()
        guard case .error(let error) = try client.query("SELECT * FROM system.peers_v2") else { Issue.record("expected error"); return }
        #expect(error.code == .invalid)
    }

    @Test func columnListsAliasesCountAndNow() async throws {
        let picked = try await rows("select cluster_name AS name, release_version from system.local")
        #expect(picked.metadata.columns?.map(\.name) == ["name", "release_version"])
        let count = try await rows("SELECT count(*) FROM system.local")
        #expect(try value(count, "count") == .int(1))
        let now = try await rows("SELECT now() FROM system.local")
        #expect(now.metadata.columns?.first?.type == .timeuuid)
    }

    @Test func anUnknownColumnIsAnInvalidError() async throws {
        let h = try await Self.harness.value
        let client = try RawCQLClient(port: h.port)
        try client.startup()
        guard case .error(let error) = try client.query("SELECT nope FROM system.local") else { Issue.record("expected error"); return }
        #expect(error.code == .invalid)
        #expect(error.message.contains("nope"))
    }

    @Test func legacySchemaTablesAreEmptyWithMetadataForV3Clients() async throws {
        let tables = try await rows("SELECT * FROM system.schema_columnfamilies", version: .v3)
        #expect(tables.rows.isEmpty)
        #expect(tables.metadata.columns?.contains { $0.name == "columnfamily_name" } == true)
    }

    @Test func otherTablesAreForwarded() async throws {
        let keyspaces = try await rows("SELECT keyspace_name FROM system_schema.keyspaces")
        let names = try (0..<keyspaces.rows.count).map { try value(keyspaces, "keyspace_name", row: $0) }
        #expect(names.contains(.text("system_schema")))
    }
}
