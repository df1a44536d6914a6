import EventLoop
import Posix
import Synchronization
import Testing
import Transport

/// Echoes everything back; pauses reading while its own output is backed up (back-pressure).
final class EchoHandler: ConnectionDelegate {
    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        connection.write(UnsafeRawBufferPointer(buffer.readable))
        buffer.consume(buffer.readableCount)
        if connection.isWriteBackedUp { connection.pauseReading() }
    }
    func connectionDidDrain(_ connection: Connection) { connection.resumeReading() }
    func connectionDidClose(_ connection: Connection, error: Error?) {}
}

/// Collects bytes until `expected` arrived.
final class Collector: ConnectionDelegate {
    var received: [UInt8] = []
    let expected: Int
    let done: Promise<[UInt8]>
    init(expected: Int, done: Promise<[UInt8]>) { self.expected = expected; self.done = done }
    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        received.append(contentsOf: buffer.readable)
        buffer.consume(buffer.readableCount)
        if received.count >= expected { done.fulfill(received) }
    }
    func connectionDidClose(_ connection: Connection, error: Error?) {}
}

/// Keeps non-Sendable loop objects alive; only touched on the loop.
final class Holder: @unchecked Sendable { var objects: [AnyObject] = [] }

@Suite struct TCPTests {
    @Test func echoesFourMegabytesThroughPartialWritesAndBackPressure() async throws {
        let group = try EventLoopGroup(count: 2)
        defer { group.shutdown() }
        let serverLoop = group.loops[0], clientLoop = group.loops[1]
        let holder = Holder()
        let port = Promise<Int>()
        serverLoop.execute {
            let echo = EchoHandler()
            let listener = try! TCPListener(bindTo: SocketAddress(ip: "127.0.0.1", port: 0)!, loop: serverLoop,
                                            reusePort: false) { fd in
                let connection = try! TCPConnection(fd: fd, loop: serverLoop,
                                                    limits: ConnectionLimits(highWater: 64 << 10, lowWater: 16 << 10))
                connection.delegate = echo
                holder.objects.append(connection)
            }
            try! listener.start()
            holder.objects.append(contentsOf: [listener, echo] as [AnyObject])
            port.fulfill(listener.address.port)
        }
        let serverPort = try #require(await port.wait())
        let payload = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let received = Promise<[UInt8]>()
        let clientHolder = Holder()
        clientLoop.execute {
            TCPConnector.connect(to: SocketAddress(ip: "127.0.0.1", port: serverPort)!, on: clientLoop,
                                 timeout: .seconds(5)) { result in
                guard case .success(let connection) = result else { received.fulfill([]); return }
                let collector = Collector(expected: payload.count, done: received)
                connection.delegate = collector
                clientHolder.objects.append(contentsOf: [connection, collector] as [AnyObject])
                connection.write(payload)
            }
        }
        let echoed = try #require(await received.wait(timeout: .seconds(20)))
        #expect(echoed.count == payload.count)
        #expect(echoed == payload)
    }

    @Test func connectingToAClosedPortFailsWithAValue() async throws {
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]
        // Bind then close to obtain a port nobody listens on.
        let listener = try TCPListener(bindTo: SocketAddress(ip: "127.0.0.1", port: 0)!, loop: loop,
                                       reusePort: false) { _ in }
        let deadPort = listener.address.port
        listener.close()
        let outcome = Promise<String>()
        loop.execute {
            TCPConnector.connect(to: SocketAddress(ip: "127.0.0.1", port: deadPort)!, on: loop,
                                 timeout: .seconds(5)) { result in
                switch result {
                case .success: outcome.fulfill("connected")
                case .failure(let error): outcome.fulfill("\(error)")
                }
            }
        }
        let text = try #require(await outcome.wait())
        #expect(text.contains("refused"))
    }

    @Test func hostPortParsingFollowsTheGoProxy() {
        #expect(HostPort(parsing: ":9042", defaultPort: 9042) == HostPort(host: "0.0.0.0", port: 9042))
        #expect(HostPort(parsing: "127.0.0.1", defaultPort: 9042) == HostPort(host: "127.0.0.1", port: 9042))
        #expect(HostPort(parsing: "10.0.0.1:19042", defaultPort: 9042) == HostPort(host: "10.0.0.1", port: 19042))
        #expect(HostPort(parsing: "[::1]:8000", defaultPort: 9042) == HostPort(host: "::1", port: 8000))
        #expect(HostPort(parsing: "::1", defaultPort: 8000) == HostPort(host: "::1", port: 8000))
        #expect(HostPort(parsing: "host:99999", defaultPort: 1) == nil)
        #expect(HostPort(parsing: "", defaultPort: 1) == nil)
    }
}
