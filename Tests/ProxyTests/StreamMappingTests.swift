import CQLProtocol
import Testing

/// Many requests in flight on one client connection: every one is forwarded on an upstream stream id of
/// its own and answered exactly once on the client's stream id.
@Suite struct StreamMappingTests {
    @Test func fiveThousandPipelinedRequestsComeBackOnTheirOwnStreams() async throws {
        let h = try await ProxyHarness(nodes: 2, workers: 1)
        defer { h.stop() }
        let client = try RawCQLClient(port: h.port, timeoutSeconds: 20)
        try client.startup()
        let total = 5000
        var batch: [UInt8] = []
        for i in 0..<total {
            // Stream ids spread over the whole positive range, in no particular order.
            let stream = StreamID(Int16((i * 7919) % 32768))
            let query = QueryRequest(query: "SELECT keyspace_name FROM system_schema.keyspaces",
                                     parameters: QueryParameters(consistency: .one))
            batch += Frame(request: .query(query), version: .v4, stream: stream).encode()
        }
        client.sendRaw(batch)
        var answered: [Int16: Int] = [:]
        for _ in 0..<total {
            let frame = try #require(client.readFrame(), "answers stopped after \(answered.count)")
            guard case .result(.rows) = try frame.responseMessage() else {
                Issue.record("stream \(frame.header.stream) answered \(try frame.responseMessage())")
                continue
            }
            answered[frame.header.stream.rawValue, default: 0] += 1
        }
        #expect(answered.count == total)
        #expect(answered.values.allSatisfy { $0 == 1 })
        #expect(Set(answered.keys) == Set((0..<total).map { Int16(($0 * 7919) % 32768) }))
    }
}
