import Dispatch
import EventLoop
import Glibc
import HTTP
import Posix
import Synchronization

/// A one-shot value awaited with a deadline, fulfilled from any thread (e.g. the server's loop).
final class Promise<T: Sendable>: Sendable {
    private let state = Locked<(value: T?, waiter: CheckedContinuation<T?, Never>?)>((nil, nil))

    func fulfill(_ value: T) {
        let waiter = state.withLock { s -> CheckedContinuation<T?, Never>? in
            guard s.value == nil else { return nil }
            s.value = value
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: value)
    }

    func wait(timeout: Duration = .seconds(10)) async -> T? {
        await withCheckedContinuation { (c: CheckedContinuation<T?, Never>) in
            let ready = state.withLock { s -> T? in
                if let v = s.value { return v }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(returning: ready); return }
            let (sec, atto) = timeout.components
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(sec * 1_000_000_000 + atto / 1_000_000_000))) {
                self.state.withLock { s -> CheckedContinuation<T?, Never>? in
                    defer { s.waiter = nil }
                    return s.waiter
                }?.resume(returning: nil)
            }
        }
    }
}

/// Shared state a handler reads synchronously on the loop while a test changes it from outside.
final class Flag: Sendable {
    private let atomic: Atomic<Bool>
    init(_ value: Bool) { atomic = Atomic(value) }
    var value: Bool {
        get { atomic.load(ordering: .acquiring) }
    }
    func set(_ value: Bool) { atomic.store(value, ordering: .releasing) }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A server on 127.0.0.1, port 0, on its own loop, with the routes the tests use.
final class TestServer: Sendable {
    let loop: EventLoop
    let server: HTTPServer
    /// What /readiness reports, flipped by tests from outside the loop.
    let ready = Flag(true)
    var port: Int { server.address.port }

    init(limits: HTTPServerLimits = HTTPServerLimits()) async throws {
        loop = try EventLoop()
        loop.start()
        var router = HTTPRouter()
        router.get("/liveness") { _ in .text("ok") }
        router.get("/echo") { request in
            .text("\(request.method) \(request.target) \(request.version) x-test=\(request.headers["x-test"] ?? "-")")
        }
        let ready = self.ready
        router.get("/readiness") { _ in
            ready.value
                ? .json(#"{"OutageDuration":"0s"}"#)
                : .json(#"{"OutageDuration":"31s"}"#, status: 503)
        }
        router.get("/injected") { _ in
            HTTPResponse(status: 200, headers: HTTPHeaders([("X-Bad", "a\r\nSet-Cookie: x=1"), ("Content-Length", "999")]),
                         body: Array("fine".utf8))
        }
        server = try HTTPServer(bindTo: SocketAddress(ip: "127.0.0.1", port: 0)!, loop: loop, router: router,
                                limits: limits)
        let started = Promise<Bool>()
        let server = self.server
        loop.execute {
            do { try server.start(); started.fulfill(true) } catch { started.fulfill(false) }
        }
        guard await started.wait() == true else { throw TestFailure("server did not start") }
    }

    func shutdown() async {
        let done = Promise<Bool>()
        server.stop { done.fulfill(true) }
        _ = await done.wait()
        loop.stop()
        loop.join()
    }
}

/// Runs blocking socket work on a Dispatch thread, off the cooperative pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

struct RawResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.0 == name.lowercased() }?.1
    }
}

/// A blocking TCP client with a receive deadline: a test waits on the server's answer, never on a sleep.
final class RawClient {
    let fd: CInt
    private var buffer: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let address = SocketAddress(ip: "127.0.0.1", port: port)!
        let rc = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        guard rc == 0 else { Glibc.close(fd); throw TestFailure("connect: \(errno)") }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send: \(errno)") }
            offset += n
        }
    }

    /// More bytes into the buffer; false at end of stream. Throws on timeout.
    @discardableResult
    func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == ECONNRESET { return false }
            throw TestFailure("recv: errno \(errno) (timeout?)")
        }
        if n == 0 { return false }
        buffer += chunk[0..<n]
        return true
    }

    /// The next response; `head` for answers to HEAD (Content-Length present, no body follows).
    func readResponse(head: Bool = false) throws -> RawResponse {
        let separator = Array("\r\n\r\n".utf8)
        var end: Int?
        while true {
            if buffer.count >= 4 {
                end = (0...(buffer.count - 4)).first { buffer[$0..<($0 + 4)].elementsEqual(separator) }
            }
            if end != nil { break }
            guard try fill() else { throw TestFailure("closed before a response head: \(String(decoding: buffer, as: UTF8.self))") }
        }
        let headText = String(decoding: buffer[0..<end!], as: UTF8.self)
        buffer.removeFirst(end! + 4)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw TestFailure("bad status line in \(headText)")
        }
        let headers = lines.map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (line[..<colon].lowercased(), String(line[line.index(after: colon)...]).trimmingCharacters(in: Character(" ")))
        }
        var response = RawResponse(status: status, headers: headers, body: "")
        let length = head ? 0 : Int(response.header("content-length") ?? "") ?? 0
        while buffer.count < length {
            guard try fill() else { throw TestFailure("closed inside a body") }
        }
        response.body = String(decoding: buffer[0..<length], as: UTF8.self)
        buffer.removeFirst(length)
        return response
    }

    /// True once the server closed the connection and nothing else arrived first.
    func closedByServer() throws -> Bool {
        while try fill() {}
        return buffer.isEmpty
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = self[...]
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
