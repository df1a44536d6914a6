import CNGHTTP2
import EventLoop
import Foundation
import Posix
import Transport

/// What one side of a test conversation does with the bytes: the first bytes to send, then what to answer
/// and whether the conversation is over. Used only on the loop once handed to `tlsExchange`.
protocol ExchangeDriver: AnyObject, Sendable {
    func start() -> [UInt8]
    func received(_ bytes: [UInt8]) -> (reply: [UInt8], done: Bool)
}

/// How a TLS conversation ended.
struct ExchangeOutcome: Sendable {
    /// nil when the handshake failed.
    var alpn: String??
    var handshakeError: TLSError?
    /// The driver said it was done (else the peer closed, or the deadline passed).
    var completed: Bool
    var timedOut: Bool
    var handshakeSucceeded: Bool { handshakeError == nil }
}

/// Connects to 127.0.0.1:`port` with `configuration` (and `serverName` as SNI), lets `driver` talk until it is
/// done or the peer closes, within `timeout`. One loop for the whole test process.
func tlsExchange(port: Int, configuration: TLSConfiguration, serverName: String? = nil,
                 driver: any ExchangeDriver, timeout: Duration = .seconds(10)) async throws -> ExchangeOutcome {
    let context = try TLSContext(configuration: configuration)
    let loop = testLoop
    return await withCheckedContinuation { (continuation: CheckedContinuation<ExchangeOutcome, Never>) in
        loop.execute {
            let session = ExchangeSession(driver: driver, continuation: continuation)
            session.begin(port: port, loop: loop, context: context, serverName: serverName, timeout: timeout)
        }
    }
}

let testLoopGroup: EventLoopGroup = try! EventLoopGroup(count: 1)
var testLoop: EventLoop { testLoopGroup.loops[0] }

private final class ExchangeSession: ConnectionDelegate {
    private let driver: any ExchangeDriver
    private var continuation: CheckedContinuation<ExchangeOutcome, Never>?
    private var connection: TLSConnection?
    private var timer: TimerHandle?
    private var keepAlive: ExchangeSession?
    private var alpn: String?? = .none

    init(driver: any ExchangeDriver, continuation: CheckedContinuation<ExchangeOutcome, Never>) {
        self.driver = driver
        self.continuation = continuation
    }

    func begin(port: Int, loop: EventLoop, context: TLSContext, serverName: String?, timeout: Duration) {
        keepAlive = self   // until finished: the connection holds its delegate weakly
        timer = loop.schedule(after: timeout) { [self] in
            timer = nil
            finish(completed: false, timedOut: true, error: nil)
        }
        TLSConnector.connect(to: SocketAddress(ip: "127.0.0.1", port: port)!, on: loop, context: context,
                             serverName: serverName, timeout: timeout) { [self] result in
            switch result {
            case .failure(let error):
                finish(completed: false, timedOut: false, error: error)
            case .success(let connection):
                guard continuation != nil else { connection.close(error: nil); return }
                self.connection = connection
                alpn = .some(connection.negotiatedALPN)
                connection.delegate = self
                connection.write(driver.start())
            }
        }
    }

    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        let bytes = Array(UnsafeRawBufferPointer(buffer.readable))
        buffer.consume(bytes.count)
        let (reply, done) = driver.received(bytes)
        if !reply.isEmpty { connection.write(reply) }
        if done { finish(completed: true, timedOut: false, error: nil) }
    }

    func connectionDidClose(_ connection: Connection, error: Error?) {
        finish(completed: false, timedOut: false, error: nil)
    }

    private func finish(completed: Bool, timedOut: Bool, error: TLSError?) {
        guard let continuation else { return }
        self.continuation = nil
        if let timer { testLoop.cancel(timer) }
        timer = nil
        connection?.delegate = nil
        connection?.close(error: nil)
        connection = nil
        continuation.resume(returning: ExchangeOutcome(alpn: error == nil ? alpn : nil, handshakeError: error,
                                                       completed: completed, timedOut: timedOut))
        keepAlive = nil
    }
}

// MARK: Drivers

/// Sends `request`, collects everything until the peer closes (or `enough` says stop).
final class RawDriver: ExchangeDriver, @unchecked Sendable {
    private let request: [UInt8]
    private let enough: @Sendable ([UInt8]) -> Bool
    private let collected = Locked<[UInt8]>([])

    init(request: [UInt8], enough: @escaping @Sendable ([UInt8]) -> Bool = { _ in false }) {
        self.request = request
        self.enough = enough
    }

    var bytes: [UInt8] { collected.withLock { $0 } }

    func start() -> [UInt8] { request }

    func received(_ bytes: [UInt8]) -> (reply: [UInt8], done: Bool) {
        let all = collected.withLock { $0 += bytes; return $0 }
        return ([], enough(all))
    }
}

/// A CQL v4 OPTIONS request on stream 1; done once a whole frame is back.
func cqlOptionsDriver() -> RawDriver {
    RawDriver(request: [0x04, 0x00, 0x00, 0x01, 0x05, 0, 0, 0, 0]) { bytes in
        guard bytes.count >= 9 else { return false }
        let length = Int(bytes[5]) << 24 | Int(bytes[6]) << 16 | Int(bytes[7]) << 8 | Int(bytes[8])
        return bytes.count >= 9 + length
    }
}

struct SimpleResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
}

/// HTTP/1.1 with `Connection: close`: the answer is everything up to the close.
func http1Driver(method: String, path: String, headers: [(String, String)] = []) -> RawDriver {
    var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    return RawDriver(request: Array((text + "\r\n").utf8))
}

func parseHTTP1(_ bytes: [UInt8]) -> SimpleResponse? {
    guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
    let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
    let statusParts = head[0].split(separator: " ")
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return SimpleResponse(status: status, headers: headers, body: Array(bytes[end.upperBound...]))
}

/// One HTTP/2 request through an nghttp2 client session; done when its stream closes.
final class H2Driver: ExchangeDriver, @unchecked Sendable {
    private var session: OpaquePointer?
    private let fields: [(String, String)]
    private var streamID: Int32 = 0
    private(set) var status: Int?
    private(set) var body: [UInt8] = []
    private var closed = false
    private let result = Locked<SimpleResponse?>(nil)

    init(method: String, path: String, headers: [(String, String)] = []) {
        fields = [(":method", method), (":scheme", "https"), (":authority", "127.0.0.1"), (":path", path)] + headers
    }

    deinit { nghttp2_session_del(session) }

    var response: SimpleResponse? { result.withLock { $0 } }

    func start() -> [UInt8] {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, _, name, nameLength, value, valueLength, _, user in
            let me = Unmanaged<H2Driver>.fromOpaque(user!).takeUnretainedValue()
            if String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self) == ":status" {
                me.status = Int(String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, _, data, length, user in
            Unmanaged<H2Driver>.fromOpaque(user!).takeUnretainedValue().body += UnsafeBufferPointer(start: data, count: length)
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, _, _, user in
            Unmanaged<H2Driver>.fromOpaque(user!).takeUnretainedValue().closed = true
            return 0
        }
        nghttp2_session_client_new(&session, callbacks, Unmanaged.passUnretained(self).toOpaque())
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil, 0)
        // nghttp2 copies names and values during submit; the storage only lives for this call.
        let storage = fields.map { (Array($0.0.utf8), Array($0.1.utf8)) }
        var pinned: [UnsafeMutableBufferPointer<UInt8>] = []
        defer { pinned.forEach { $0.deallocate() } }
        var nva: [nghttp2_nv] = []
        for (name, value) in storage {
            let n = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, name.count))
            let v = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, value.count))
            _ = n.initialize(from: name)
            _ = v.initialize(from: value)
            pinned += [n, v]
            nva.append(nghttp2_nv(name: n.baseAddress!, value: v.baseAddress!, namelen: name.count,
                                  valuelen: value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
        }
        streamID = nghttp2_submit_request(session, nil, nva, nva.count, nil, nil)
        return pending()
    }

    func received(_ bytes: [UInt8]) -> (reply: [UInt8], done: Bool) {
        let fed = bytes.withUnsafeBufferPointer { nghttp2_session_mem_recv(session, $0.baseAddress, $0.count) }
        if fed < 0 { return ([], true) }
        if closed, let status { result.withLock { $0 = SimpleResponse(status: status, headers: [:], body: body) } }
        return (pending(), closed)
    }

    private func pending() -> [UInt8] {
        var out: [UInt8] = []
        while true {
            var data: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(session, &data)
            if n <= 0 { return out }
            out += UnsafeBufferPointer(start: data, count: n)
        }
    }
}
