import CNGHTTP2
import EventLoop
import Transport

/// HTTP/2 with prior knowledge on one connection, framed by an nghttp2 server session: our bytes go in
/// through `mem_recv`, nghttp2's come out through `mem_send` into the connection's write queue, so the
/// session never touches the socket. The session calls back into this object through `user_data`
/// (unretained: the object outlives every call into nghttp2, which are all synchronous).
final class HTTP2Connection {
    private struct Stream {
        var method: String?
        var path: String?
        var authority: String?
        var headers = HTTPHeaders()
        var answered = false
        var body: [UInt8] = []
        var sent = 0
    }

    private let connection: Connection
    private let router: HTTPRouter
    private let limits: HTTPServerLimits
    private let deadline: Deadline
    private var session: OpaquePointer?
    private var streams: [Int32: Stream] = [:]

    init(connection: Connection, router: HTTPRouter, limits: HTTPServerLimits, deadline: Deadline) {
        self.connection = connection
        self.router = router
        self.limits = limits
        self.deadline = deadline

        var callbacks: OpaquePointer?
        precondition(nghttp2_session_callbacks_new(&callbacks) == 0, "nghttp2: out of memory")
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, user in
            HTTP2Connection.from(user).beginHeaders(frame!.pointee)
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, user in
            HTTP2Connection.from(user).header(
                stream: frame!.pointee.hd.stream_id,
                name: String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
                value: String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self))
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            HTTP2Connection.from(user).frameReceived(frame!.pointee)
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, _, user in
            HTTP2Connection.from(user).streams[streamID] = nil
            return 0
        }
        let user = Unmanaged.passUnretained(self).toOpaque()
        precondition(nghttp2_session_server_new(&session, callbacks, user) == 0, "nghttp2: out of memory")

        var settings = [nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                                               value: UInt32(limits.maxConcurrentStreams))]
        _ = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
    }

    deinit {
        nghttp2_session_del(session)
    }

    private static func from(_ user: UnsafeMutableRawPointer?) -> HTTP2Connection {
        Unmanaged<HTTP2Connection>.fromOpaque(user!).takeUnretainedValue()
    }

    // MARK: Connection events

    func didRead(_ buffer: ReadBuffer) {
        guard let session else { return }
        let input = buffer.readable
        let processed = nghttp2_session_mem_recv(session, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count)
        // nghttp2 takes all input or fails (a bad preface, a flood); on failure it may have a GOAWAY queued.
        buffer.consume(input.count)
        if processed < 0 {
            nghttp2_session_terminate_session(session, NGHTTP2_PROTOCOL_ERROR.rawValue)
        }
        deadline.arm(.idle, after: limits.idleTimeout) { [weak self] in self?.goAway() }
        send()
    }

    func didDrain() {
        connection.resumeReading()
    }

    func closed() {
        deadline.cancel()
        streams.removeAll()
    }

    private func goAway() {
        guard let session else { return }
        nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR.rawValue)
        send()
    }

    /// Moves everything nghttp2 has to say into the write queue; closes once the session is done both ways.
    private func send() {
        guard let session, connection.isOpen else { return }
        while true {
            var data: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(session, &data)
            if n < 0 { connection.close(error: HTTP2Error(code: Int32(n))); return }
            if n == 0 { break }
            connection.write(UnsafeRawBufferPointer(start: data, count: n))
        }
        if nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0 {
            connection.closeAfterFlush()
        } else if connection.isWriteBackedUp {
            // A client opening streams without reading answers stops being read until they drain.
            connection.pauseReading()
        }
    }

    // MARK: nghttp2 callbacks (all inside mem_recv / mem_send)

    private func beginHeaders(_ frame: nghttp2_frame) -> Int32 {
        if frame.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
           frame.headers.cat.rawValue == NGHTTP2_HCAT_REQUEST.rawValue {
            streams[frame.hd.stream_id] = Stream()
        }
        return 0
    }

    private func header(stream id: Int32, name: String, value: String) -> Int32 {
        guard streams[id] != nil else { return 0 }   // trailers or a stream we do not track
        switch name {
        case ":method": streams[id]!.method = value
        case ":path": streams[id]!.path = value
        case ":authority": streams[id]!.authority = value
        case ":scheme": break
        default: streams[id]!.headers.add(name: name, value: value)
        }
        return 0
    }

    private func frameReceived(_ frame: nghttp2_frame) -> Int32 {
        let type = UInt32(frame.hd.type)
        guard type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue,
              frame.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 else { return 0 }
        let id = frame.hd.stream_id
        guard let stream = streams[id], !stream.answered else { return 0 }
        streams[id]!.answered = true
        guard let method = stream.method, let path = stream.path else {
            return submit(.text("Bad Request\n", status: 400), stream: id, omitBody: false)
        }
        var headers = HTTPHeaders()
        if let authority = stream.authority { headers.add(name: "host", value: authority) }
        for (name, value) in stream.headers { headers.add(name: name, value: value) }
        let request = HTTPRequest(method: method, target: path, version: .http2, headers: headers,
                                  remoteAddress: connection.remoteAddress)
        return submit(router.respond(to: request), stream: id, omitBody: method == "HEAD")
    }

    private func submit(_ response: HTTPResponse, stream id: Int32, omitBody: Bool) -> Int32 {
        var fields = [(":status", String(response.status))]
        let bodyless = response.status < 200 || response.status == 204 || response.status == 304
        if !bodyless { fields.append(("content-length", String(response.body.count))) }
        for (name, value) in response.headers where !HTTPResponse.framingHeaders.contains(name) {
            fields.append((name, HTTPResponse.sanitize(value)))
        }
        let hasBody = !omitBody && !bodyless && !response.body.isEmpty
        if hasBody { streams[id]?.body = response.body }

        // One contiguous copy of the names and values; nghttp2 copies them again during submit.
        var storage: [UInt8] = []
        var spans: [(name: Range<Int>, value: Range<Int>)] = []
        for (name, value) in fields {
            let n = storage.count
            storage += name.utf8
            let v = storage.count
            storage += value.utf8
            spans.append((n..<v, v..<storage.count))
        }
        let rc = storage.withUnsafeMutableBufferPointer { raw -> Int32 in
            let base = raw.baseAddress!
            var nva = spans.map {
                nghttp2_nv(name: base + $0.name.lowerBound, value: base + $0.value.lowerBound,
                           namelen: $0.name.count, valuelen: $0.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            guard hasBody else { return nghttp2_submit_response(session, id, &nva, nva.count, nil) }
            var provider = nghttp2_data_provider()
            provider.read_callback = { _, streamID, buffer, length, flags, _, user in
                HTTP2Connection.from(user).readBody(stream: streamID, into: buffer!, length: length, flags: flags!)
            }
            return nghttp2_submit_response(session, id, &nva, nva.count, &provider)
        }
        // A failure here concerns this stream only (e.g. already reset by the client).
        if rc != 0 { streams[id]?.body = [] }
        return 0
    }

    private func readBody(stream id: Int32, into buffer: UnsafeMutablePointer<UInt8>, length: Int,
                          flags: UnsafeMutablePointer<UInt32>) -> Int {
        guard let stream = streams[id] else {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return 0
        }
        let n = min(length, stream.body.count - stream.sent)
        stream.body.withUnsafeBufferPointer { body in
            buffer.update(from: body.baseAddress! + stream.sent, count: n)
        }
        streams[id]!.sent += n
        if stream.sent + n == stream.body.count {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            streams[id]!.body = []
        }
        return n
    }
}

/// An nghttp2 library error, by its code.
struct HTTP2Error: Error, CustomStringConvertible {
    var code: Int32
    var description: String { "nghttp2: " + String(cString: nghttp2_strerror(code)) }
}
