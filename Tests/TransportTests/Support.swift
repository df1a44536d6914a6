import CQLMock
import Dispatch
import EventLoop
import Glibc
import Posix
import Transport

/// A one-shot value a test awaits with a deadline, fulfilled from any thread (e.g. an event loop).
final class Promise<T: Sendable>: Sendable {
    private let state = Locked<(value: T?, waiters: [CheckedContinuation<T?, Never>])>((nil, []))

    func fulfill(_ value: T) {
        let waiters = state.withLock { s -> [CheckedContinuation<T?, Never>] in
            guard s.value == nil else { return [] }
            s.value = value
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value, or nil when `timeout` passes first.
    func wait(timeout: Duration = .seconds(10)) async -> T? {
        let id = Locked<Int?>(nil)
        return await withCheckedContinuation { (c: CheckedContinuation<T?, Never>) in
            let ready = state.withLock { s -> T? in
                if let v = s.value { return v }
                s.waiters.append(c)
                id.withLock { $0 = s.waiters.count - 1 }
                return nil
            }
            if let ready { c.resume(returning: ready); return }
            let (sec, atto) = timeout.components
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(sec * 1_000_000_000 + atto / 1_000_000_000))) {
                let expired = self.state.withLock { s -> [CheckedContinuation<T?, Never>] in
                    guard s.value == nil else { return [] }
                    defer { s.waiters = [] }
                    return s.waiters
                }
                for waiter in expired { waiter.resume(returning: nil) }
            }
        }
    }
}

/// Keeps non-Sendable loop objects alive; only touched on the loop.
final class Holder: @unchecked Sendable { var objects: [AnyObject] = [] }

/// Certificates made once per test process with the in-process CA.
struct Certificates: Sendable {
    let ca: CertificateAuthority
    let otherCA: CertificateAuthority
    let server: IssuedCertificate
    let client: IssuedCertificate

    static let shared: Certificates = {
        let ca = try! CertificateAuthority(commonName: "test CA")
        return Certificates(
            ca: ca,
            otherCA: try! CertificateAuthority(commonName: "some other CA"),
            server: try! ca.issueServerCertificate(dnsNames: ["localhost", "db.example.test"], ipAddresses: ["127.0.0.1"]),
            client: try! ca.issueClientCertificate(commonName: "proxy"))
    }()

    var trustCA: TLSConfiguration.TrustRoots { .certificates(.pem(ca.certificatePEM)) }

    func serverConfiguration(requireClientCertificate: Bool = false, alpn: [String] = [],
                             serverNameHandler: (@Sendable (String?) -> TLSConfiguration.ServerNameDecision)? = nil)
        -> TLSConfiguration {
        .server(certificateChain: .pem(server.certificatePEM), privateKey: .pem(server.privateKeyPEM),
                trustRoots: trustCA, requireClientCertificate: requireClientCertificate, alpnProtocols: alpn,
                serverNameHandler: serverNameHandler)
    }

    func clientConfiguration(serverName: String? = "localhost", expectedHostName: String? = nil,
                             withClientCertificate: Bool = false, alpn: [String] = []) -> TLSConfiguration {
        .client(trustRoots: trustCA, serverName: serverName, expectedHostName: expectedHostName,
                certificateChain: withClientCertificate ? .pem(client.certificatePEM) : nil,
                privateKey: withClientCertificate ? .pem(client.privateKeyPEM) : nil, alpnProtocols: alpn)
    }
}

/// What a server saw on one accepted connection, reported at its first read.
struct ServerView: Sendable {
    let serverName: String?
    let alpn: String?
    let hasPeerCertificate: Bool
}

/// Echoes everything back; pauses reading while its own output is backed up (back-pressure). Reports the
/// first connection's TLS view and close error.
final class EchoServerDelegate: ConnectionDelegate, @unchecked Sendable {
    let firstView = Promise<ServerView>()
    let firstClose = Promise<String>()   // "nil" or the error's description
    let closeKinds = Locked<[String]>([])

    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        if let tls = connection as? TLSConnection {
            firstView.fulfill(ServerView(serverName: tls.requestedServerName, alpn: tls.negotiatedALPN,
                                         hasPeerCertificate: tls.hasPeerCertificate))
        }
        connection.write(UnsafeRawBufferPointer(buffer.readable))
        buffer.consume(buffer.readableCount)
        if connection.isWriteBackedUp { connection.pauseReading() }
    }
    func connectionDidDrain(_ connection: Connection) { connection.resumeReading() }
    func connectionDidClose(_ connection: Connection, error: Error?) {
        firstClose.fulfill(error.map { "\($0)" } ?? "nil")
        closeKinds.withLock { $0.append((error as? TLSError)?.kind ?? "other") }
    }
}

/// Collects bytes until `expected` arrived; reports a close too.
final class Collector: ConnectionDelegate, @unchecked Sendable {
    var received: [UInt8] = []
    let expected: Int
    let done = Promise<[UInt8]>()
    let closed = Promise<String>()
    let drained = Promise<Bool>()
    /// When set, reading pauses after every delivery and resumes later from another thread: a slow consumer.
    var resumeFromOutside = false
    init(expected: Int) { self.expected = expected }
    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        received.append(contentsOf: buffer.readable)
        buffer.consume(buffer.readableCount)
        if received.count >= expected { done.fulfill(received); return }
        if resumeFromOutside {
            connection.pauseReading()
            let loop = connection.loop
            let bound = UncheckedBox(connection)
            DispatchQueue.global().async { loop.execute { bound.value.resumeReading() } }
        }
    }
    func connectionDidDrain(_ connection: Connection) { drained.fulfill(true) }
    func connectionDidClose(_ connection: Connection, error: Error?) {
        closed.fulfill(error.map { "\($0)" } ?? "nil")
    }
}

/// A TLS server on 127.0.0.1:0 accepting with `context`; the delegate is shared by all its connections.
final class TLSTestServer: @unchecked Sendable {
    let loop: EventLoop
    let holder = Holder()
    let delegate: ConnectionDelegate & Sendable
    private(set) var port = 0

    init(loop: EventLoop, context: TLSContext, delegate: ConnectionDelegate & Sendable,
         limits: ConnectionLimits = ConnectionLimits()) async throws {
        self.loop = loop
        self.delegate = delegate
        let ready = Promise<Int>()
        let holder = self.holder
        loop.execute {
            let listener = try! TCPListener(bindTo: SocketAddress(ip: "127.0.0.1", port: 0)!, loop: loop,
                                            reusePort: false) { fd in
                guard let connection = try? TLSConnection(acceptedFD: fd, loop: loop, context: context,
                                                          handshakeTimeout: .seconds(5), limits: limits) else { return }
                connection.delegate = delegate
                holder.objects.append(connection)
            }
            try! listener.start()
            holder.objects.append(listener)
            ready.fulfill(listener.address.port)
        }
        port = await ready.wait() ?? 0
    }

    var address: SocketAddress { SocketAddress(ip: "127.0.0.1", port: port)! }
}

/// Connects with `context` on `loop`; the result is the connection's view, or the error's text.
enum ClientOutcome: Sendable {
    case connected(alpn: String?, hasPeerCertificate: Bool)
    case failed(TLSError)

    var error: TLSError? { if case .failed(let e) = self { return e }; return nil }
}

func connectTLS(to address: SocketAddress, on loop: EventLoop, context: TLSContext, serverName: String? = nil,
                expectedHostName: String? = nil, timeout: Duration = .seconds(5),
                holder: Holder, then body: (@Sendable (TLSConnection) -> Void)? = nil) async -> ClientOutcome? {
    let outcome = Promise<ClientOutcome>()
    let bound = UncheckedBox(body)
    loop.execute {
        TLSConnector.connect(to: address, on: loop, context: context, serverName: serverName,
                             expectedHostName: expectedHostName, timeout: timeout) { result in
            switch result {
            case .success(let connection):
                holder.objects.append(connection)
                outcome.fulfill(.connected(alpn: connection.negotiatedALPN,
                                           hasPeerCertificate: connection.hasPeerCertificate))
                bound.value?(connection)
            case .failure(let error):
                outcome.fulfill(.failed(error))
            }
        }
    }
    return await outcome.wait()
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

func makeLoop() throws -> EventLoop {
    let loop = try EventLoop()
    loop.start()
    return loop
}
