import CNGHTTP2
import Glibc

struct H2Response: Sendable, Equatable {
    var streamID: Int32
    var status: Int?
    var headers: [String: String] = [:]
    var body: String = ""
    var errorCode: UInt32 = 0
}

/// A minimal HTTP/2 client over a blocking socket, built on nghttp2's client session: requests submitted
/// together travel on one connection as concurrent streams.
final class H2Client {
    private let socket: RawClient
    private var session: OpaquePointer?
    private var responses: [Int32: H2Response] = [:]
    private var open: Set<Int32> = []

    init(port: Int) throws {
        socket = try RawClient(port: port)
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, user in
            let client = Unmanaged<H2Client>.fromOpaque(user!).takeUnretainedValue()
            let id = frame!.pointee.hd.stream_id
            let n = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
            let v = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            if n == ":status" { client.responses[id]?.status = Int(v) } else { client.responses[id]?.headers[n] = v }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, id, data, length, user in
            let client = Unmanaged<H2Client>.fromOpaque(user!).takeUnretainedValue()
            client.responses[id]?.body += String(decoding: UnsafeBufferPointer(start: data, count: length), as: UTF8.self)
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, id, errorCode, user in
            let client = Unmanaged<H2Client>.fromOpaque(user!).takeUnretainedValue()
            client.responses[id]?.errorCode = errorCode
            client.open.remove(id)
            return 0
        }
        nghttp2_session_client_new(&session, callbacks, Unmanaged.passUnretained(self).toOpaque())
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil, 0)
    }

    deinit { nghttp2_session_del(session) }

    /// Sends every request at once, then reads until each stream has closed.
    func get(_ paths: [String], method: String = "GET") throws -> [H2Response] {
        var ids: [Int32] = []
        for path in paths {
            let fields = [(":method", method), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", path),
                          ("x-test", "h2")]
            var storage = fields.map { (Array($0.0.utf8), Array($0.1.utf8)) }
            let id = withNV(&storage) { nghttp2_submit_request(session, nil, $0, $1, nil, nil) }
            guard id > 0 else { throw TestFailure("submit_request: \(id)") }
            ids.append(id)
            responses[id] = H2Response(streamID: id)
            open.insert(id)
        }
        try pump { self.open.isEmpty }
        return ids.map { responses[$0]! }
    }

    /// Writes what nghttp2 has queued and feeds it what the server sends until `done` or the server closes.
    /// Returns false when the connection ended first.
    @discardableResult
    func pump(until done: () -> Bool) throws -> Bool {
        while true {
            while true {
                var data: UnsafePointer<UInt8>?
                let n = nghttp2_session_mem_send(session, &data)
                guard n >= 0 else { throw TestFailure("mem_send: \(n)") }
                if n == 0 { break }
                try socket.send(Array(UnsafeBufferPointer(start: data, count: n)))
            }
            if done() { return true }
            var chunk = [UInt8](repeating: 0, count: 16384)
            let n = chunk.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress, $0.count, 0) }
            if n == 0 || (n < 0 && errno == ECONNRESET) { return false }
            guard n > 0 else { throw TestFailure("recv: errno \(errno) (timeout?)") }
            let fed = chunk.withUnsafeBufferPointer { nghttp2_session_mem_recv(session, $0.baseAddress, n) }
            guard fed == n else { throw TestFailure("mem_recv: \(fed)") }
        }
    }

    private func withNV<R>(_ storage: inout [([UInt8], [UInt8])], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        // nghttp2 copies names and values during submit, so pointers need only live for this call.
        var nva: [nghttp2_nv] = []
        var pinned: [UnsafeMutableBufferPointer<UInt8>] = []
        defer { pinned.forEach { $0.deallocate() } }
        for (name, value) in storage {
            let n = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, name.count))
            let v = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, value.count))
            _ = n.initialize(from: name)
            _ = v.initialize(from: value)
            pinned += [n, v]
            nva.append(nghttp2_nv(name: n.baseAddress!, value: v.baseAddress!, namelen: name.count,
                                  valuelen: value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
        }
        return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
    }
}
