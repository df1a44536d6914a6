import CQLProtocol
import Foundation
import Testing
@testable import Upstream

@Suite struct SASLTests {
    let credentials = Credentials(username: "token", password: "AstraCS:abc")

    @Test func passwordAuthenticatorGetsPlainCredentialsAtOnce() {
        let sasl = SASLAuthenticator(className: "org.apache.cassandra.auth.PasswordAuthenticator", credentials: credentials)
        #expect(sasl.initialResponse() == [0] + Array("token".utf8) + [0] + Array("AstraCS:abc".utf8))
        #expect(sasl.respond(to: Array("anything".utf8)) == nil)
    }

    @Test func dseAuthenticatorNamesTheMechanismThenAnswersPlainStart() {
        let sasl = SASLAuthenticator(className: "com.datastax.bdp.cassandra.auth.DseAuthenticator", credentials: credentials)
        #expect(sasl.initialResponse() == Array("PLAIN".utf8))
        #expect(sasl.respond(to: Array("PLAIN-START".utf8)) == [0] + Array("token".utf8) + [0] + Array("AstraCS:abc".utf8))
        #expect(sasl.respond(to: Array("GSSAPI-START".utf8)) == nil)
    }

    @Test func credentialsNeverPrintTheirSecret() {
        #expect(!"\(credentials)".contains("AstraCS"))
        #expect(!String(reflecting: credentials).contains("AstraCS:abc") || "\(credentials)".contains("redacted"))
    }
}

@Suite struct StreamTableTests {
    final class Sink: UpstreamResponseHandler {
        func upstreamDidRespond(_ frame: UnsafeMutableRawBufferPointer, header: FrameHeader, request: ClientRequest, from: UpstreamConnection) {}
        func upstreamDidFail(_ request: ClientRequest, error: UpstreamError, from: UpstreamConnection) {}
    }

    @Test func allIdsUpTo32768ThenRefusal() {
        var table = StreamTable()
        let sink = Sink()
        var ids = Set<Int16>()
        for i in 0..<StreamTable.maxStreams {
            let request = ClientRequest(handler: sink, clientStream: StreamID(Int16(i % 100)), ordering: .independent)
            guard let id = table.allocate(client: request, now: 0) else { Issue.record("refused at \(i)"); return }
            ids.insert(id.rawValue)
        }
        #expect(ids.count == StreamTable.maxStreams)
        #expect(ids.allSatisfy { $0 >= 0 })
        #expect(!table.hasFreeStream)
        let request = ClientRequest(handler: sink, clientStream: StreamID(1), ordering: .independent)
        #expect(table.allocate(client: request, now: 0) == nil)
        #expect(table.complete(StreamID(5)) != nil)
        #expect(table.complete(StreamID(5)) == nil)
        #expect(table.allocate(client: request, now: 0) == StreamID(5))
    }

    @Test func timedOutIdsStayReservedUntilTheLateAnswer() {
        var table = StreamTable()
        let sink = Sink()
        let request = ClientRequest(handler: sink, clientStream: StreamID(9), ordering: .independent)
        let id = table.allocate(client: request, now: 100)!
        #expect(table.expire(sentBefore: 50).isEmpty)
        #expect(table.expire(sentBefore: 200).count == 1)
        #expect(table.inFlight == 0)
        // The id is not handed out again while the node may still answer on it...
        for _ in 0..<127 { _ = table.allocate(client: request, now: 300) }
        let next = table.allocate(client: request, now: 300)
        #expect(next != id)
        // ...and the late answer is dropped, freeing it.
        #expect(table.complete(id) == nil)
    }
}

@Suite struct PreparedCacheTests {
    @Test func leastRecentlyUsedStatementsAreEvicted() {
        let cache = PreparedStatementCache(capacity: 10)
        for i in 0..<10 { cache.insert(id: [UInt8(i)], .init(query: "q\(i)", keyspace: nil, isIdempotent: true)) }
        _ = cache.lookup(id: [0])   // recently used: survives
        cache.insert(id: [99], .init(query: "q99", keyspace: "ks", isIdempotent: false))
        #expect(cache.count <= 10)
        #expect(cache.lookup(id: [0])?.query == "q0")
        #expect(cache.lookup(id: [99])?.keyspace == "ks")
        #expect(cache.lookup(id: [1]) == nil)
        #expect(cache.mostRecent(2).map(\.query) == ["q99", "q0"])
    }
}

@Suite struct BackoffTests {
    @Test func growsExponentiallyWithJitterAndIsCapped() {
        for attempt in 0..<30 {
            let delay = Backoff.delay(attempt: attempt, base: .milliseconds(100), max: .seconds(10))
            let ceiling = min(Duration.milliseconds(100) * (1 << min(attempt, 20)), .seconds(10))
            #expect(delay <= ceiling)
            #expect(delay >= ceiling * 0.5)
        }
    }
}
