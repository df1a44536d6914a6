import CQLProtocol
import Foundation
import Testing
import TestSupport
@testable import CQLMock

/// Cluster layout, node stop/start and the events they push.
@Suite struct MockClusterTests {
    @Test func nodesShareOnePortOnDistinctLoopbackAddresses() throws {
        let cluster = try MockCluster(nodes: 3)
        #expect(cluster.port > 0)
        #expect(cluster.allNodes.map(\.address) == ["127.0.0.1", "127.0.0.2", "127.0.0.3"])
        #expect(cluster.allNodes.allSatisfy { $0.port == cluster.port && $0.dataCenter == "datacenter1" && $0.rack == "rack1" })
        #expect(Set(cluster.allNodes.map(\.hostID)).count == 3)
        let tokens = cluster.allNodes.map { Int64($0.tokens[0])! }
        #expect(tokens == tokens.sorted() && Set(tokens).count == 3 && tokens[0] == Int64.min)
        for node in cluster.allNodes { #expect(try RawClient(node).roundTrip(.options).error == nil) }
    }

    @Test func twoClustersGetDifferentPorts() throws {
        let a = try MockCluster(nodes: 2), b = try MockCluster(nodes: 2)
        #expect(a.port != b.port)
    }

    @Test func stopClosesConnectionsAndStartServesAgainWithPreparedKept() async throws {
        let cluster = try MockCluster(nodes: 2)
        let client = try RawClient(cluster.node(1))
        try client.startup()
        cluster.node(1).prepared.withLock {
            $0[[1, 2, 3]] = PreparedStatement(query: "SELECT 1", keyspace: nil, info: PreparedInfo(
                id: [1, 2, 3], bindColumns: [], bindNames: [], partitionKeyIndexes: [], resultColumns: []))
        }
        cluster.stop(node: 1)
        #expect(!cluster.node(1).isRunning)
        #expect(client.nextEvent() == .closed)
        #expect(throws: SocketError.self) { try RawClient(cluster.node(1)) }
        try cluster.start(node: 1)
        #expect(try RawClient(cluster.node(1)).roundTrip(.options).error == nil)
        #expect(cluster.node(1).preparedIDs == [[1, 2, 3]])
        cluster.stop(node: 1)
        try cluster.start(node: 1, forgetPrepared: true)
        #expect(cluster.node(1).preparedIDs.isEmpty)
    }

    @Test func statusAndTopologyEventsReachOtherNodesRegisteredConnections() throws {
        let cluster = try MockCluster(nodes: 2)
        let listener = try RawClient(cluster.node(0))
        try listener.startup()
        #expect(try listener.roundTrip(.register(["STATUS_CHANGE", "TOPOLOGY_CHANGE"])) == .ready)
        let bystander = try RawClient(cluster.node(0), timeout: .milliseconds(200))
        try bystander.startup()   // not registered: gets nothing

        let node1 = CQLInet(address: [127, 0, 0, 2], port: Int32(cluster.port))
        cluster.stop(node: 1)
        var (frame, event) = try listener.readResponse()
        #expect(frame.header.stream == .event && frame.header.opcode == Opcode.event.rawValue)
        #expect(event == .event(.statusChange(change: "DOWN", address: node1)))
        try cluster.start(node: 1)
        (_, event) = try listener.readResponse()
        #expect(event == .event(.statusChange(change: "UP", address: node1)))
        let added = try cluster.addNode()
        (_, event) = try listener.readResponse()
        #expect(event == .event(.topologyChange(change: "NEW_NODE", address: CQLInet(address: [127, 0, 0, 3], port: Int32(cluster.port)))))
        #expect(added.index == 2)
        #expect(try RawClient(added).roundTrip(.options).error == nil)
        #expect(bystander.nextEvent() == .timedOut)
    }

    @Test func connectionsAreTrackedAndReleased() async throws {
        let cluster = try MockCluster()
        var client: RawClient? = try RawClient(cluster.node(0))
        _ = try client?.roundTrip(.options)
        #expect(cluster.node(0).connectionCount == 1)
        client = nil
        try await eventually("connection released", timeout: .seconds(5), changes: cluster.changes) {
            cluster.node(0).connectionCount == 0
        }
    }

    @Test func shutdownIsIdempotentAndFreesThePort() throws {
        let cluster = try MockCluster(nodes: 2)
        let port = cluster.port
        let client = try RawClient(cluster.node(0))
        try client.startup()
        cluster.shutdown()
        cluster.shutdown()
        #expect(client.nextEvent() == .closed)
        let again = try MockCluster(nodes: 2, port: port)
        #expect(again.port == port)
    }
}
