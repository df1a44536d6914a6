import CNGHTTP2
import Dispatch
import Foundation
import EventLoop
import HTTP
import Posix
import Transport

/// A request as the test server saw it.
struct SeenRequest: Sendable {
    var method: String
    var target: String
    var headers: HTTPHeaders
    var body: [UInt8]
    var alpn: String?
    var serverName: String?
    var hadClientCertificate: Bool

    var path: String { String(target.prefix { $0 != "?" }) }
}

/// How the test server answers.
enum TestReply: Sendable {
    /// Content-Length framing (h1), HEADERS + DATA (h2).
    case response(status: Int, headers: [(String, String)] = [], body: [UInt8] = [])
    /// h1: chunked, with a chunk extension and a trailer; h2: the chunks as one body.
    case chunked(status: Int, chunks: [[UInt8]])
    /// h1 only: no length, body, then close.
    case untilClose(status: Int, body: [UInt8])
    /// h1 only: these bytes, then close.
    case raw([UInt8])
    /// Never answer (the client's deadline must end it).
    case never

    static func json(_ text: String, status: Int = 200) -> TestReply {
        .response(status: status, headers: [("content-type", "application/json")], body: Array(text.utf8))
    }
}

/// An HTTPS server on 127.0.0.1:0 for the client tests: TLS through our `TLSConnection` (server role),
/// then HTTP/1.1 (one request per connection, closed after the answer) or HTTP/2 (an nghttp2 server
/// session) as ALPN chose. Unlike `HTTPServer` it takes any method and keeps request bodies, which the
/// DevOps API calls need. Runs on its own loop; `stop()` from the test.
final class TestHTTPSServer: Sendable {
    typealias Handler = @Sendable (SeenRequest) -> TestReply

    let loop: EventLoop
    let port: Int
    private let acceptor: UncheckedSendable<Acceptor>
    private let listener: UncheckedSendable<TCPListener>

    init(tls: TLSConfiguration, handler: @escaping Handler) throws {
        let loop = try EventLoop()
        let acceptor = Acceptor(loop: loop, context: try TLSContext(configuration: tls), handler: handler)
        let listener = try TCPListener(bindTo: SocketAddress(ip: "127.0.0.1", port: 0)!, loop: loop,
                                       reusePort: false) { fd in acceptor.accept(fd) }
        self.loop = loop
        self.port = listener.address.port
        self.acceptor = UncheckedSendable(acceptor)
        self.listener = UncheckedSendable(listener)
        loop.start(name: "test-https")
        let started = UncheckedSendable(listener)
        onLoop(loop) { try! started.value.start() }
    }

    var requests: [SeenRequest] { acceptor.value.seen.withLock { $0 } }

    func stop() {
        let (listener, acceptor) = (self.listener, self.acceptor)
        onLoop(loop) {
            listener.value.close()
            acceptor.value.closeAll()
        }
        loop.stop()
        loop.join()
    }
}

/// Runs `body` on `loop` and waits for it.
func onLoop(_ loop: EventLoop, _ body: @escaping @Sendable () -> Void) {
    let done = DispatchSemaphore(value: 0)
    loop.execute {
        body()
        done.signal()
    }
    done.wait()
}

struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Loop-only: the open server connections.
private final class Acceptor {
    let loop: EventLoop
    let context: TLSContext
    let handler: TestHTTPSServer.Handler
    let seen = Locked<[SeenRequest]>([])
    private var sessions: [ObjectIdentifier: ServerSession] = [:]

    init(loop: EventLoop, context: TLSContext, handler: @escaping TestHTTPSServer.Handler) {
        self.loop = loop
        self.context = context
        self.handler = handler
    }

    func accept(_ fd: consuming FileDescriptor) {
        guard let connection = try? TLSConnection(acceptedFD: fd, loop: loop, context: context,
                                                  handshakeTimeout: .seconds(10)) else { return }
        let session = ServerSession(connection: connection, acceptor: self)
        sessions[ObjectIdentifier(session)] = session
    }

    func record(_ request: SeenRequest) -> TestReply {
        seen.withLock { $0.append(request) }
        return handler(request)
    }

    func closed(_ session: ServerSession) { sessions[ObjectIdentifier(session)] = nil }

    func closeAll() {
        for session in Array(sessions.values) { session.connection.close(error: nil) }
        sessions.removeAll()
    }
}

/// One connection: HTTP/1.1 or HTTP/2, chosen by ALPN at the first read.
private final class ServerSession: ConnectionDelegate {
    let connection: TLSConnection
    unowned let acceptor: Acceptor
    private var buffer: [UInt8] = []
    private var answered = false
    private var http2: HTTP2ServerSide?

    init(connection: TLSConnection, acceptor: Acceptor) {
        self.connection = connection
        self.acceptor = acceptor
        connection.delegate = self
    }

    func seen(method: String, target: String, headers: HTTPHeaders, body: [UInt8]) -> SeenRequest {
        SeenRequest(method: method, target: target, headers: headers, body: body, alpn: connection.negotiatedALPN,
                    serverName: connection.requestedServerName, hadClientCertificate: connection.hasPeerCertificate)
    }

    func connectionDidRead(_ connection: Connection, buffer input: ReadBuffer) {
        if self.connection.negotiatedALPN == "h2" {
            if http2 == nil { http2 = HTTP2ServerSide(session: self) }
            http2!.didRead(input)
            return
        }
        buffer.append(contentsOf: input.readable)
        input.consume(input.readableCount)
        guard !answered, let request = parseHTTP1() else { return }
        answered = true
        respondHTTP1(acceptor.record(request))
    }

    func connectionDidClose(_ connection: Connection, error: Error?) {
        http2 = nil
        acceptor.closed(self)
    }

    private func parseHTTP1() -> SeenRequest? {
        let marker: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = buffer.indices.first(where: { buffer[$0...].starts(with: marker) }) else { return nil }
        let lines = String(decoding: buffer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            let pair = line.split(separator: ":", maxSplits: 1)
            headers.add(name: String(pair[0]), value: pair.count > 1 ? pair[1].trimmingCharacters(in: .whitespaces) : "")
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = end + marker.count
        guard buffer.count - bodyStart >= length else { return nil }
        return seen(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers,
                    body: Array(buffer[bodyStart..<bodyStart + length]))
    }

    private func respondHTTP1(_ reply: TestReply) {
        func head(_ status: Int, _ headers: [(String, String)]) -> String {
            "HTTP/1.1 \(status) Whatever\r\n" + headers.map { "\($0.0): \($0.1)\r\n" }.joined()
        }
        var out: [UInt8]
        switch reply {
        case .never:
            return
        case .response(let status, let headers, let body):
            out = Array((head(status, headers + [("Content-Length", "\(body.count)")]) + "\r\n").utf8) + body
        case .chunked(let status, let chunks):
            out = Array((head(status, [("Transfer-Encoding", "chunked")]) + "\r\n").utf8)
            for (i, chunk) in chunks.enumerated() {
                out += Array((String(chunk.count, radix: 16) + (i == 0 ? ";note=first" : "") + "\r\n").utf8)
                out += chunk + Array("\r\n".utf8)
            }
            out += Array("0\r\nX-Trailer: done\r\n\r\n".utf8)
        case .untilClose(let status, let body):
            out = Array((head(status, []) + "\r\n").utf8) + body
        case .raw(let bytes):
            out = bytes
        }
        connection.write(out)
        connection.closeAfterFlush()
    }
}

/// The HTTP/2 half of a server connection: an nghttp2 server session, as `HTTP2Connection` in HTTP does,
/// but keeping request bodies and answering with `TestReply`.
private final class HTTP2ServerSide {
    private struct Stream {
        var method = ""
        var path = ""
        var headers = HTTPHeaders()
        var body: [UInt8] = []
        var reply: [UInt8] = []
        var sent = 0
    }

    private unowned let owner: ServerSession
    private var session: OpaquePointer?
    private var streams: [Int32: Stream] = [:]

    init(session owner: ServerSession) {
        self.owner = owner
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, user in
            HTTP2ServerSide.from(user).streams[frame!.pointee.hd.stream_id] = Stream()
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, user in
            let me = HTTP2ServerSide.from(user)
            let id = frame!.pointee.hd.stream_id
            let n = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
            let v = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            switch n {
            case ":method": me.streams[id]?.method = v
            case ":path": me.streams[id]?.path = v
            case ":authority": me.streams[id]?.headers.add(name: "host", value: v)
            case ":scheme": break
            default: me.streams[id]?.headers.add(name: n, value: v)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, id, data, length, user in
            HTTP2ServerSide.from(user).streams[id]?.body.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            let header = frame!.pointee.hd
            guard header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0,
                  header.type == UInt8(NGHTTP2_HEADERS.rawValue) || header.type == UInt8(NGHTTP2_DATA.rawValue) else { return 0 }
            HTTP2ServerSide.from(user).requestComplete(header.stream_id)
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, id, _, user in
            HTTP2ServerSide.from(user).streams[id] = nil
            return 0
        }
        nghttp2_session_server_new(&session, callbacks, Unmanaged.passUnretained(self).toOpaque())
        _ = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil, 0)
    }

    deinit { nghttp2_session_del(session) }

    private static func from(_ user: UnsafeMutableRawPointer?) -> HTTP2ServerSide {
        Unmanaged<HTTP2ServerSide>.fromOpaque(user!).takeUnretainedValue()
    }

    func didRead(_ input: ReadBuffer) {
        let bytes = input.readable
        _ = nghttp2_session_mem_recv(session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        input.consume(bytes.count)
        flush()
    }

    private func flush() {
        while true {
            var data: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(session, &data)
            if n <= 0 { break }
            owner.connection.write(UnsafeRawBufferPointer(start: data, count: n))
        }
    }

    private func requestComplete(_ id: Int32) {
        guard let stream = streams[id] else { return }
        let reply = owner.acceptor.record(owner.seen(method: stream.method, target: stream.path,
                                                     headers: stream.headers, body: stream.body))
        let status: Int
        var headers: [(String, String)] = []
        switch reply {
        case .never, .raw, .untilClose: return
        case .response(let s, let h, let body):
            status = s
            headers = h
            streams[id]?.reply = body
        case .chunked(let s, let chunks):
            status = s
            streams[id]?.reply = chunks.flatMap { $0 }
        }
        let fields = [(":status", String(status))] + headers
        var storage: [UInt8] = []
        var spans: [(name: Range<Int>, value: Range<Int>)] = []
        for (name, value) in fields {
            let n = storage.count
            storage += name.utf8
            let v = storage.count
            storage += value.utf8
            spans.append((n..<v, v..<storage.count))
        }
        var provider = nghttp2_data_provider()
        provider.read_callback = { _, id, buffer, length, flags, _, user in
            let me = HTTP2ServerSide.from(user)
            guard let stream = me.streams[id] else { flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue; return 0 }
            let n = min(length, stream.reply.count - stream.sent)
            stream.reply.withUnsafeBufferPointer { buffer!.update(from: $0.baseAddress! + stream.sent, count: n) }
            me.streams[id]!.sent += n
            if stream.sent + n == stream.reply.count { flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
            return n
        }
        // nghttp2 copies the fields during submit.
        storage.withUnsafeMutableBufferPointer { raw in
            var nva = spans.map {
                nghttp2_nv(name: raw.baseAddress! + $0.name.lowerBound, value: raw.baseAddress! + $0.value.lowerBound,
                           namelen: $0.name.count, valuelen: $0.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            _ = nghttp2_submit_response(session, id, &nva, nva.count, &provider)
        }
    }
}
