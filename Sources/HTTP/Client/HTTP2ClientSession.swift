import CNGHTTP2
import EventLoop
import Transport

/// One request over HTTP/2 (chosen by ALPN), framed by an nghttp2 client session that never touches the
/// socket: bytes go in through `mem_recv`, out through `mem_send` into the connection, as the server side
/// does. nghttp2 calls back through `user_data` (unretained: every call into nghttp2 is synchronous and
/// this object outlives it). Loop-only.
final class HTTP2ClientSession: HTTPClientSession {
    /// Large windows so a multi-megabyte bundle does not wait a round trip per 64 KiB.
    private static let window: Int32 = 16 << 20

    private let connection: Connection
    private let url: HTTPClientURL
    private let maxBodyBytes: Int
    private var session: OpaquePointer?
    private var streamID: Int32 = -1
    private var status: Int?
    private var headers = HTTPHeaders()
    private var body: [UInt8] = []
    private var failure: HTTPClientError?
    private let requestBody: [UInt8]
    private var sent = 0
    /// Set inside nghttp2 callbacks; acted on once control is back with us (never close mid-callback).
    private var streamClosed = false
    private var finish: ((Result<HTTPClientResponse, HTTPClientError>) -> Void)?

    init(connection: Connection, url: HTTPClientURL, request: HTTPClientRequest, maxBodyBytes: Int,
         finish: @escaping (Result<HTTPClientResponse, HTTPClientError>) -> Void) {
        self.connection = connection
        self.url = url
        self.maxBodyBytes = maxBodyBytes
        self.requestBody = request.body
        self.finish = finish
        connection.delegate = self

        var callbacks: OpaquePointer?
        precondition(nghttp2_session_callbacks_new(&callbacks) == 0, "nghttp2: out of memory")
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, user in
            HTTP2ClientSession.from(user).header(
                stream: frame!.pointee.hd.stream_id,
                name: String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
                value: String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self))
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, stream, data, length, user in
            HTTP2ClientSession.from(user).data(stream: stream, UnsafeBufferPointer(start: data, count: length))
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, stream, errorCode, user in
            HTTP2ClientSession.from(user).streamDidClose(stream, errorCode: errorCode)
        }
        let user = Unmanaged.passUnretained(self).toOpaque()
        precondition(nghttp2_session_client_new(&session, callbacks, user) == 0, "nghttp2: out of memory")

        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                                   value: UInt32(Self.window)),
        ]
        _ = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        _ = nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Self.window)
        submit(request)
        pump()
    }

    deinit {
        nghttp2_session_del(session)
    }

    private static func from(_ user: UnsafeMutableRawPointer?) -> HTTP2ClientSession {
        Unmanaged<HTTP2ClientSession>.fromOpaque(user!).takeUnretainedValue()
    }

    private func submit(_ request: HTTPClientRequest) {
        var fields = [(":method", request.method), (":scheme", "https"), (":authority", url.authority),
                      (":path", url.target)]
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            fields.append(("content-length", String(request.body.count)))
        }
        for (name, value) in request.headers where !HTTPClientRequest.ownedHeaders.contains(name) {
            fields.append((name, HTTPResponse.sanitize(value)))
        }
        if request.headers["user-agent"] == nil { fields.append(("user-agent", HTTPSClient.userAgent)) }

        // One contiguous copy of names and values; nghttp2 copies them again during submit.
        var storage: [UInt8] = []
        var spans: [(name: Range<Int>, value: Range<Int>)] = []
        for (name, value) in fields {
            let n = storage.count
            storage += name.utf8
            let v = storage.count
            storage += value.utf8
            spans.append((n..<v, v..<storage.count))
        }
        let hasBody = !requestBody.isEmpty
        let rc = storage.withUnsafeMutableBufferPointer { raw -> Int32 in
            let base = raw.baseAddress!
            var nva = spans.map {
                nghttp2_nv(name: base + $0.name.lowerBound, value: base + $0.value.lowerBound,
                           namelen: $0.name.count, valuelen: $0.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            guard hasBody else { return nghttp2_submit_request(session, nil, &nva, nva.count, nil, nil) }
            var provider = nghttp2_data_provider()
            provider.read_callback = { _, _, buffer, length, flags, _, user in
                HTTP2ClientSession.from(user).readRequestBody(into: buffer!, length: length, flags: flags!)
            }
            return nghttp2_submit_request(session, nil, &nva, nva.count, &provider, nil)
        }
        if rc < 0 {
            failure = .protocolError(endpoint: url.endpoint, reason: "HTTP/2: " + String(cString: nghttp2_strerror(rc)))
            streamClosed = true
        } else {
            streamID = rc
        }
    }

    // MARK: Connection events

    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        guard let session, finish != nil else { return }
        let input = buffer.readable
        let processed = nghttp2_session_mem_recv(session, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count)
        buffer.consume(input.count)
        if processed < 0 {
            failure = failure ?? .protocolError(endpoint: url.endpoint,
                                                reason: "HTTP/2: " + String(cString: nghttp2_strerror(Int32(processed))))
            streamClosed = true
        }
        pump()
    }

    func connectionDidClose(_ connection: Connection, error: Error?) {
        guard finish != nil else { return }
        if let error {
            report(.failure(HTTPSExchange.classify(error, endpoint: url.endpoint)))
        } else {
            report(.failure(failure ?? .protocolError(endpoint: url.endpoint,
                                                      reason: "connection closed before the response was complete")))
        }
    }

    func abandon() { finish = nil }

    /// Sends what nghttp2 has queued, then completes if our stream is over.
    private func pump() {
        guard let session, connection.isOpen else { return }
        if !streamClosed {
            while true {
                var data: UnsafePointer<UInt8>?
                let n = nghttp2_session_mem_send(session, &data)
                if n < 0 {
                    failure = failure ?? .protocolError(endpoint: url.endpoint,
                                                        reason: "HTTP/2: " + String(cString: nghttp2_strerror(Int32(n))))
                    streamClosed = true
                    break
                }
                if n == 0 { break }
                connection.write(UnsafeRawBufferPointer(start: data, count: n))
            }
        }
        guard streamClosed else { return }
        if let failure {
            report(.failure(failure))
        } else if let status {
            report(.success(HTTPClientResponse(status: status, headers: headers, body: body, version: .http2)))
        } else {
            report(.failure(.protocolError(endpoint: url.endpoint, reason: "HTTP/2 response without :status")))
        }
        // A polite GOAWAY, then close: this connection carried exactly one request.
        nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR.rawValue)
        var data: UnsafePointer<UInt8>?
        let n = nghttp2_session_mem_send(session, &data)
        if n > 0 { connection.write(UnsafeRawBufferPointer(start: data, count: n)) }
        connection.closeAfterFlush()
    }

    private func report(_ result: Result<HTTPClientResponse, HTTPClientError>) {
        guard let finish else { return }
        self.finish = nil
        finish(result)
    }

    // MARK: nghttp2 callbacks (all inside mem_recv / mem_send)

    private func header(stream: Int32, name: String, value: String) -> Int32 {
        guard stream == streamID else { return 0 }
        if name == ":status" {
            guard let code = Int(value), (100...999).contains(code) else {
                failure = failure ?? .protocolError(endpoint: url.endpoint, reason: "HTTP/2: bad :status \(value)")
                return 0
            }
            // An interim 1xx block is followed by the final one; keep only the final headers.
            if (200...999).contains(code) { status = code; headers = HTTPHeaders() }
            return 0
        }
        if status != nil && !name.hasPrefix(":") { headers.add(name: name, value: value) }
        return 0
    }

    private func data(stream: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        guard stream == streamID, failure == nil else { return 0 }
        guard body.count + bytes.count <= maxBodyBytes else {
            failure = .bodyTooLarge(endpoint: url.endpoint, limit: maxBodyBytes)
            _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, NGHTTP2_CANCEL.rawValue)
            return 0
        }
        body.append(contentsOf: bytes)
        return 0
    }

    private func streamDidClose(_ stream: Int32, errorCode: UInt32) -> Int32 {
        guard stream == streamID else { return 0 }
        if errorCode != NGHTTP2_NO_ERROR.rawValue && failure == nil {
            let name = String(cString: nghttp2_http2_strerror(errorCode))
            failure = .protocolError(endpoint: url.endpoint, reason: "HTTP/2 stream reset by the server (\(name))")
        }
        streamClosed = true
        return 0
    }

    private func readRequestBody(into buffer: UnsafeMutablePointer<UInt8>, length: Int,
                                 flags: UnsafeMutablePointer<UInt32>) -> Int {
        let n = min(length, requestBody.count - sent)
        requestBody.withUnsafeBufferPointer { body in
            buffer.update(from: body.baseAddress! + sent, count: n)
        }
        sent += n
        if sent == requestBody.count { flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
        return n
    }
}
