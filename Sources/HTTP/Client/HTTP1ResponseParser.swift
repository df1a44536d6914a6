/// An incremental HTTP/1.x response parser: feed it bytes as they arrive; it says when the response is
/// complete. Framing per RFC 9112 §6.3: no body for HEAD/204/304, chunked when it is the last transfer
/// coding, else Content-Length, else everything until the server closes. Interim 1xx responses are skipped.
struct HTTP1ResponseParser {
    enum Failure: Error, Equatable {
        case malformed(String)
        case bodyTooLarge
    }

    private enum State {
        case head
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case done
    }

    static let maxHeadBytes = 64 * 1024
    static let maxLineBytes = 8 * 1024

    private(set) var status = 0
    private(set) var version = HTTPVersion.http1_1
    private(set) var headers = HTTPHeaders()
    private(set) var body: [UInt8] = []
    private var state = State.head
    private var buffer: [UInt8] = []
    let maxBodyBytes: Int
    private let isHeadRequest: Bool

    init(maxBodyBytes: Int, isHeadRequest: Bool) {
        self.maxBodyBytes = maxBodyBytes
        self.isHeadRequest = isHeadRequest
    }

    var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// Consumes `bytes`; true once the response is complete (later bytes are ignored).
    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Bool {
        guard !isComplete else { return true }
        buffer.append(contentsOf: bytes)
        var position = 0
        defer { buffer.removeFirst(position) }
        while try step(&position) {}
        return isComplete
    }

    /// The server closed the connection: fine when the body runs until close, an error mid-response.
    mutating func finishAtEOF() throws(Failure) {
        switch state {
        case .done: return
        case .untilClose: state = .done
        case .head where status == 0 && buffer.isEmpty: throw .malformed("connection closed before any response")
        default: throw .malformed("connection closed before the response was complete")
        }
    }

    /// One parsing step from `position`; false when more bytes are needed or the response is complete.
    private mutating func step(_ position: inout Int) throws(Failure) -> Bool {
        switch state {
        case .done:
            return false
        case .head:
            guard let end = headEnd(from: position) else {
                if buffer.count - position > Self.maxHeadBytes { throw .malformed("response head larger than 64 KiB") }
                return false
            }
            try parseHead(buffer[position..<end.head])
            position = end.next
            return true
        case .length(let remaining):
            let n = min(remaining, buffer.count - position)
            try appendBody(position, n)
            position += n
            state = remaining == n ? .done : .length(remaining: remaining - n)
            return remaining == n
        case .untilClose:
            try appendBody(position, buffer.count - position)
            position = buffer.count
            return false
        case .chunkSize:
            guard let line = try readLine(&position) else { return false }
            let hex = line.prefix { $0 != UInt8(ascii: ";") }.filter { $0 != 0x20 && $0 != 0x09 }
            guard !hex.isEmpty, hex.count <= 15,
                  let size = Int(String(decoding: hex, as: UTF8.self), radix: 16) else {
                throw .malformed("bad chunk size")
            }
            state = size == 0 ? .trailers : .chunkData(remaining: size)
            return true
        case .chunkData(let remaining):
            let n = min(remaining, buffer.count - position)
            try appendBody(position, n)
            position += n
            state = remaining == n ? .chunkDataEnd : .chunkData(remaining: remaining - n)
            return remaining == n
        case .chunkDataEnd:
            guard let line = try readLine(&position) else { return false }
            guard line.isEmpty else { throw .malformed("chunk not followed by CRLF") }
            state = .chunkSize
            return true
        case .trailers:
            guard let line = try readLine(&position) else { return false }
            if line.isEmpty { state = .done }
            return true
        }
    }

    private mutating func appendBody(_ start: Int, _ count: Int) throws(Failure) {
        guard body.count + count <= maxBodyBytes else { throw .bodyTooLarge }
        body.append(contentsOf: buffer[start..<start + count])
    }

    /// A line ending in LF (CR stripped), or nil when incomplete.
    private func readLine(_ position: inout Int) throws(Failure) -> ArraySlice<UInt8>? {
        guard let lf = buffer[position...].firstIndex(of: 0x0A) else {
            if buffer.count - position > Self.maxLineBytes { throw .malformed("line longer than 8 KiB") }
            return nil
        }
        var line = buffer[position..<lf]
        if line.last == 0x0D { line = line.dropLast() }
        position = lf + 1
        return line
    }

    /// Where the head ends (before the empty line) and the body starts.
    private func headEnd(from start: Int) -> (head: Int, next: Int)? {
        var i = start
        while let lf = buffer[i...].firstIndex(of: 0x0A) {
            let next = lf + 1
            if next < buffer.count, buffer[next] == 0x0A { return (lf, next + 1) }
            if next + 1 < buffer.count, buffer[next] == 0x0D, buffer[next + 1] == 0x0A { return (lf, next + 2) }
            if next >= buffer.count - 1 { return nil }
            i = next
        }
        return nil
    }

    private mutating func parseHead(_ head: ArraySlice<UInt8>) throws(Failure) {
        var lines = head.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            line.last == 0x0D ? line.dropLast() : line
        }
        guard !lines.isEmpty else { throw .malformed("empty status line") }
        let statusLine = String(decoding: lines.removeFirst(), as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3,
              let code = Int(parts[1]), (100...999).contains(code) else {
            throw .malformed("bad status line \"\(statusLine.prefix(80))\"")
        }
        var fields = HTTPHeaders()
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                  line.first != 0x20, line.first != 0x09 else {
                throw .malformed("bad header line")
            }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
            fields.add(name: name, value: value.trimmingSpaces())
        }
        if (100...199).contains(code) {
            guard code != 101 else { throw .malformed("unexpected 101 Switching Protocols") }
            return   // interim response: the real one follows
        }
        status = code
        version = parts[0] == "HTTP/1.0" ? .http1_0 : .http1_1
        headers = fields
        state = try bodyFraming(fields, status: code)
    }

    private func bodyFraming(_ fields: HTTPHeaders, status: Int) throws(Failure) -> State {
        if isHeadRequest || status == 204 || status == 304 { return .done }
        let codings = fields.values("transfer-encoding")
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces().lowercased() }
        if let last = codings.last {
            return last == "chunked" ? .chunkSize : .untilClose
        }
        let lengths = Set(fields.values("content-length").flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces() })
        guard let text = lengths.first else { return .untilClose }
        guard lengths.count == 1, let length = Int(text), length >= 0 else {
            throw .malformed("bad Content-Length")
        }
        guard length <= maxBodyBytes else { throw .bodyTooLarge }
        return length == 0 ? .done : .length(remaining: length)
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
