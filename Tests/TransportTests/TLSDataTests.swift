import CQLMock
import EventLoop
import Posix
import Synchronization
import Testing
@testable import Transport

/// Sends many tiny records in one go when the first bytes arrive, then goes quiet.
final class SmallRecordsServer: ConnectionDelegate, @unchecked Sendable {
    let records: Int
    let sent = Promise<Int>()
    init(records: Int) { self.records = records }
    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        buffer.consume(buffer.readableCount)
        guard let tls = connection as? TLSConnection else { return }
        let record = [UInt8](repeating: 0x61, count: 100)
        for _ in 0..<records {
            connection.write(record)
            tls.flushNow()          // one SSL_write, one TLS record each
        }
        sent.fulfill(records)
    }
    func connectionDidClose(_ connection: Connection, error: Error?) {}
}

@Suite struct TLSDataTests {
    let certs = Certificates.shared

    @Test func echoesTwoMegabytesBothWaysWithBackPressure() async throws {
        let group = try EventLoopGroup(count: 2)
        defer { group.shutdown() }
        let echo = EchoServerDelegate()
        let server = try await TLSTestServer(loop: group.loops[0], context: try TLSContext(configuration: certs.serverConfiguration()),
                                             delegate: echo, limits: ConnectionLimits(highWater: 64 << 10, lowWater: 16 << 10))
        let payload = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 13) }
        let collector = Collector(expected: payload.count)
        let holder = Holder()
        let outcome = await connectTLS(to: server.address, on: group.loops[1],
                                       context: try TLSContext(configuration: certs.clientConfiguration()),
                                       holder: holder) { connection in
            connection.delegate = collector
            connection.write(payload)
            #expect(connection.isWriteBackedUp)
        }
        guard case .connected = try #require(outcome) else { Issue.record("handshake failed: \(outcome!)"); return }
        let echoed = try #require(await collector.done.wait(timeout: .seconds(30)))
        #expect(echoed.count == payload.count)
        #expect(echoed == payload)
        #expect(await collector.drained.wait() == true)
    }

    @Test func readsEveryTinyRecordAfterTheServerGoesQuiet() async throws {
        let group = try EventLoopGroup(count: 2)
        defer { group.shutdown() }
        let burst = SmallRecordsServer(records: 5000)
        let server = try await TLSTestServer(loop: group.loops[0], context: try TLSContext(configuration: certs.serverConfiguration()),
                                             delegate: burst)
        let collector = Collector(expected: 5000 * 100)
        let holder = Holder()
        _ = await connectTLS(to: server.address, on: group.loops[1],
                             context: try TLSContext(configuration: certs.clientConfiguration()), holder: holder) { connection in
            connection.delegate = collector
            connection.write([1])
        }
        #expect(await burst.sent.wait() == 5000)
        let received = try #require(await collector.done.wait())
        #expect(received.count == 5000 * 100)
    }

    /// A consumer that pauses after every delivery: records OpenSSL already holds must still arrive after each
    /// resume, though epoll has nothing to report for them.
    @Test func pausedReaderGetsRecordsOpenSSLAlreadyHolds() async throws {
        let group = try EventLoopGroup(count: 2)
        defer { group.shutdown() }
        let burst = SmallRecordsServer(records: 3000)
        let server = try await TLSTestServer(loop: group.loops[0], context: try TLSContext(configuration: certs.serverConfiguration()),
                                             delegate: burst)
        let collector = Collector(expected: 3000 * 100)
        collector.resumeFromOutside = true
        let holder = Holder()
        let servicedBefore = TLSPendingReads.serviced.load(ordering: .relaxed)
        _ = await connectTLS(to: server.address, on: group.loops[1],
                             context: try TLSContext(configuration: certs.clientConfiguration()), holder: holder) { connection in
            connection.delegate = collector
            connection.write([1])
        }
        let received = try #require(await collector.done.wait())
        #expect(received.count == 3000 * 100)
        #expect(TLSPendingReads.serviced.load(ordering: .relaxed) > servicedBefore)
    }

    @Test func garbageInsteadOfAClientHelloClosesOnlyThatConnection() async throws {
        let group = try EventLoopGroup(count: 2)
        defer { group.shutdown() }
        let echo = EchoServerDelegate()
        let server = try await TLSTestServer(loop: group.loops[0], context: try TLSContext(configuration: certs.serverConfiguration()),
                                             delegate: echo)
        let clientContext = try TLSContext(configuration: certs.clientConfiguration())
        let holder = Holder()
        let healthy = Collector(expected: 4)
        let outcome = await connectTLS(to: server.address, on: group.loops[1], context: clientContext, holder: holder) {
            $0.delegate = healthy
        }
        guard case .connected = try #require(outcome) else { Issue.record("handshake failed"); return }

        let garbage = Collector(expected: 1 << 20)
        let loop = group.loops[1]
        let address = server.address
        loop.execute {
            TCPConnector.connect(to: address, on: loop, timeout: .seconds(5)) { result in
                guard case .success(let connection) = result else { return }
                holder.objects.append(connection)
                connection.delegate = garbage
                connection.write(Array("GET / HTTP/1.1\r\nHost: nowhere\r\n\r\n".utf8) + [UInt8](repeating: 0xFF, count: 600))
            }
        }
        #expect(await garbage.closed.wait() != nil)
        let serverSide = try #require(await echo.firstClose.wait())
        #expect(serverSide.contains("handshake failed"))

        // The established connection is untouched.
        loop.execute {
            for case let connection as TLSConnection in holder.objects { connection.write(Array("ping".utf8)) }
        }
        #expect(await healthy.done.wait() == Array("ping".utf8))
    }
}
