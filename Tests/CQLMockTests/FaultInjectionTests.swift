import CQLProtocol
import Testing
@testable import CQLMock

/// Each fault hook, seen from a raw client.
@Suite struct FaultInjectionTests {
    @Test(arguments: [Int32(0x1000), 0x1001, 0x1100, 0x1200, 0x1300, 0x1500, 0x2200, 0x0000])
    func errorCodesCarryTheirFields(code: Int32) throws {
        let cluster = try MockCluster()
        cluster.faults.inject(.error(.code(code, consistency: .localQuorum)), when: .opcode(.options), times: .once)
        let client = try RawClient(cluster.node(0))
        let error = try #require(try client.roundTrip(.options).error)
        #expect(error.code.rawValue == code)
        switch error.details {
        case .unavailable(let cl, let required, let alive): #expect(cl == .localQuorum && required == 1 && alive == 0)
        case .writeTimeout(let cl, _, let blockFor, let writeType, _):
            #expect(cl == .localQuorum && blockFor == 1 && writeType == "SIMPLE")
        case .readTimeout(let cl, _, let blockFor, let dataPresent): #expect(cl == .localQuorum && blockFor == 1 && !dataPresent)
        case .readFailure(let cl, _, _, let failures, _, _): #expect(cl == .localQuorum && failures == 1)
        case .writeFailure(let cl, _, _, let failures, _, _): #expect(cl == .localQuorum && failures == 1)
        case .none: #expect([0x1001, 0x2200, 0x0000].contains(code))
        default: Issue.record("unexpected details \(error.details)")
        }
        // Once: the next OPTIONS is served.
        #expect(try client.roundTrip(.options).error == nil)
    }

    @Test func timesCountsDownAndAlwaysStaysUntilRemoved() throws {
        let cluster = try MockCluster()
        let twice = cluster.faults.inject(.error(.overloaded("busy")), when: .opcode(.options), times: .times(2))
        let client = try RawClient(cluster.node(0))
        #expect(try client.roundTrip(.options).error?.code == .overloaded)
        #expect(try client.roundTrip(.options).error?.code == .overloaded)
        #expect(try client.roundTrip(.options).error == nil)
        #expect(cluster.faults.fireCount(twice) == 2)
        let always = cluster.faults.inject(.error(.code(0x1001)), when: .anyRequest)
        for _ in 0..<3 { #expect(try client.roundTrip(.options).error?.code == .overloaded) }
        cluster.faults.remove(always)
        #expect(try client.roundTrip(.options).error == nil)
    }

    @Test func queryTextTriggerMatchesOnlyThatQuery() throws {
        let cluster = try MockCluster()
        cluster.faults.inject(.error(.readTimeout(consistency: .one, received: 0, blockFor: 1, dataPresent: true)),
                              when: .queryContains("ks.slow_table"))
        let client = try RawClient(cluster.node(0))
        try client.startup()
        let slow = QueryRequest(query: "SELECT * FROM ks.slow_table", parameters: QueryParameters(consistency: .one))
        #expect(try client.roundTrip(.query(slow)).error?.details
                == .readTimeout(consistency: .one, received: 0, blockFor: 1, dataPresent: true))
        let prepare = PrepareRequest(query: "SELECT * FROM ks.slow_table WHERE id = ?")
        #expect(try client.roundTrip(.prepare(prepare)).error?.code == .readTimeout)
        // Other requests are untouched.
        #expect(try client.roundTrip(.options).error == nil)
    }

    @Test func faultsCanTargetOneNode() throws {
        let cluster = try MockCluster(nodes: 2)
        cluster.faults.inject(.error(.code(0x1002)), when: .opcode(.options), node: 1)
        #expect(try RawClient(cluster.node(0)).roundTrip(.options).error == nil)
        #expect(try RawClient(cluster.node(1)).roundTrip(.options).error?.code == .isBootstrapping)
    }

    @Test func delayHoldsTheResponseBack() throws {
        let cluster = try MockCluster()
        cluster.faults.inject(.delay(.milliseconds(300)), when: .opcode(.options), times: .once)
        let client = try RawClient(cluster.node(0))
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try client.roundTrip(.options).error == nil)
        #expect(clock.now - start >= .milliseconds(300))
    }

    @Test func silentNodeAcceptsButNeverAnswers() throws {
        let cluster = try MockCluster()
        let silence = cluster.faults.silence(node: 0)
        let client = try RawClient(cluster.node(0), timeout: .milliseconds(300))
        try client.send(.options)
        #expect(client.nextEvent() == .timedOut)
        // The connection is still open: once the fault is gone, the next request is answered.
        cluster.faults.remove(silence)
        let stream = try client.send(.options)
        let (frame, _) = try client.readResponse()
        #expect(frame.header.stream == stream)
    }

    @Test func closeMidFrameCutsTheResponse() throws {
        let cluster = try MockCluster()
        cluster.faults.cutMidFrame(node: nil, when: .opcode(.options))
        let client = try RawClient(cluster.node(0))
        try client.send(.options)
        let partial = client.socket.read(exactly: 5)
        #expect(partial?.first == 0x84)
        #expect(client.nextEvent() == .closed)
    }

    @Test func closeConnectionClosesWithoutAnswer() throws {
        let cluster = try MockCluster()
        cluster.faults.inject(.closeConnection, when: .opcode(.options), times: .once)
        let client = try RawClient(cluster.node(0))
        try client.send(.options)
        #expect(client.nextEvent() == .closed)
        #expect(try RawClient(cluster.node(0)).roundTrip(.options).error == nil)
    }

    @Test func requestsAreCountedPerNodeAndOpcode() throws {
        let cluster = try MockCluster(nodes: 2)
        let client = try RawClient(cluster.node(1))
        for _ in 0..<3 { _ = try client.roundTrip(.options) }
        try client.startup()
        #expect(cluster.requestCount(node: 1) == 4)
        #expect(cluster.requestCount(node: 1, opcode: .options) == 3)
        #expect(cluster.requestCount(node: 1, opcode: .startup) == 1)
        #expect(cluster.requestCount(node: 0) == 0)
    }
}
