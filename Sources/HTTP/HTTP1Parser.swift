/// The head of an HTTP/1.x request, parsed in place from the connection's buffer.
struct HTTP1Head {
    var method: String
    var target: String
    var version: HTTPVersion
    var headers: HTTPHeaders
    /// Body bytes that follow the head (always skipped).
    var contentLength: Int
    var keepAlive: Bool
}

/// Why a request cannot be served; framing may be lost, so each ends the connection after its answer.
enum HTTP1ParseError: Error, Equatable {
    case malformed(String)
    case requestLineTooLong
    case headersTooLarge
    case bodyTooLarge
    case unsupportedVersion
    case transferCodingUnsupported

    var status: Int {
        switch self {
        case .malformed, .requestLineTooLong, .transferCodingUnsupported: return 400
        case .headersTooLarge: return 431
        case .bodyTooLarge: return 413
        case .unsupportedVersion: return 505
        }
    }
}

enum HTTP1ParseResult {
    case head(HTTP1Head, consumed: Int)
    case needMore
    case error(HTTP1ParseError)
}

/// An RFC 9112 request-head parser, strict where leniency lets requests be smuggled (folded lines, space
/// before the colon, conflicting lengths, transfer codings) and bounded so a client cannot make it buffer
/// more than the limits.
enum HTTP1Parser {
    struct Limits {
        var maxRequestLine = 8192
        var maxHeaderBytes = 8192
        var maxHeaderCount = 100
        var maxBodyBytes = 64 * 1024
    }

    private static let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), colon = UInt8(ascii: ":")

    static func parse(_ bytes: UnsafeRawBufferPointer, limits: Limits = Limits()) -> HTTP1ParseResult {
        var start = 0
        // RFC 9112 §2.2: empty lines before a request line are ignored (a client's stray CRLF after a body).
        while start < bytes.count, bytes[start] == cr || bytes[start] == lf, start < 64 { start += 1 }
        guard start < bytes.count else { return start >= 64 ? .error(.malformed("empty lines")) : .needMore }

        guard let lineEnd = firstLF(bytes, from: start, limit: limits.maxRequestLine + 2) else {
            let window = min(bytes.count, start + limits.maxRequestLine + 2)
            if let error = garbageInPartialLine(bytes, from: start, to: window) { return .error(error) }
            return bytes.count - start > limits.maxRequestLine ? .error(.requestLineTooLong) : .needMore
        }
        let lineContentEnd = trimCR(bytes, start, lineEnd)
        if lineContentEnd - start > limits.maxRequestLine { return .error(.requestLineTooLong) }
        let requestLine: (method: String, target: String, version: HTTPVersion)
        switch parseRequestLine(bytes, start, lineContentEnd) {
        case .success(let line): requestLine = line
        case .failure(let error): return .error(error)
        }

        var headers = HTTPHeaders()
        let headerStart = lineEnd + 1
        var lineStart = headerStart
        while true {
            guard let end = firstLF(bytes, from: lineStart, limit: headerStart + limits.maxHeaderBytes - lineStart + 1)
            else {
                return bytes.count - headerStart > limits.maxHeaderBytes ? .error(.headersTooLarge) : .needMore
            }
            if end + 1 - headerStart > limits.maxHeaderBytes { return .error(.headersTooLarge) }
            let contentEnd = trimCR(bytes, lineStart, end)
            if contentEnd == lineStart {
                lineStart = end + 1
                break
            }
            if headers.fields.count == limits.maxHeaderCount { return .error(.headersTooLarge) }
            switch parseHeaderLine(bytes, lineStart, contentEnd) {
            case .success(let (name, value)): headers.add(name: name, value: value)
            case .failure(let error): return .error(error)
            }
            lineStart = end + 1
        }

        if !headers.values("transfer-encoding").isEmpty { return .error(.transferCodingUnsupported) }
        var contentLength = 0
        let lengths = headers.values("content-length").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingSpaces }
        if let first = lengths.first {
            guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.count <= 18,
                  first.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let n = Int(first)
            else { return .error(.malformed("bad Content-Length")) }
            guard n <= limits.maxBodyBytes else { return .error(.bodyTooLarge) }
            contentLength = n
        }

        let tokens = headers.values("connection").flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces.lowercased() }
        let keepAlive = requestLine.version == .http1_1 ? !tokens.contains("close") : tokens.contains("keep-alive") && !tokens.contains("close")
        let head = HTTP1Head(method: requestLine.method, target: requestLine.target, version: requestLine.version,
                             headers: headers, contentLength: contentLength, keepAlive: keepAlive)
        return .head(head, consumed: lineStart)
    }

    // MARK: Pieces

    private static func firstLF(_ bytes: UnsafeRawBufferPointer, from: Int, limit: Int) -> Int? {
        let end = min(bytes.count, from + max(0, limit))
        var i = from
        while i < end {
            if bytes[i] == lf { return i }
            i += 1
        }
        return nil
    }

    /// End of a line's content: before the CR of a CRLF (a bare LF is accepted as a line end).
    private static func trimCR(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ lf: Int) -> Int {
        lf > start && bytes[lf - 1] == cr ? lf - 1 : lf
    }

    /// Binary garbage is refused as soon as it is seen rather than after 8 KiB or a timeout.
    private static func garbageInPartialLine(_ bytes: UnsafeRawBufferPointer, from: Int, to end: Int) -> HTTP1ParseError? {
        var i = from
        var inMethod = true
        while i < end {
            let b = bytes[i]
            if inMethod {
                if b == space { inMethod = false; if i == from { return .malformed("empty method") } }
                else if !isTokenChar(b) { return .malformed("bad method") }
            } else if b != space && b != cr && !(0x21...0x7E).contains(b) {
                return .malformed("bad request line")
            }
            i += 1
        }
        return nil
    }

    private static func parseRequestLine(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int)
        -> Result<(method: String, target: String, version: HTTPVersion), HTTP1ParseError> {
        // Exactly: method SP target SP version, single spaces.
        var parts: [Range<Int>] = []
        var partStart = start
        for i in start..<end where bytes[i] == space {
            parts.append(partStart..<i)
            partStart = i + 1
        }
        parts.append(partStart..<end)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else { return .failure(.malformed("bad request line")) }
        guard parts[0].allSatisfy({ isTokenChar(bytes[$0]) }) else { return .failure(.malformed("bad method")) }
        guard parts[1].allSatisfy({ (0x21...0x7E).contains(bytes[$0]) }) else { return .failure(.malformed("bad target")) }
        let version = string(bytes, parts[2])
        let parsedVersion: HTTPVersion
        switch version {
        case "HTTP/1.1": parsedVersion = .http1_1
        case "HTTP/1.0": parsedVersion = .http1_0
        default:
            let v = Array(version.utf8)
            let isDigit = { (b: UInt8) in b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
            if v.count == 8, version.hasPrefix("HTTP/"), isDigit(v[5]), v[6] == UInt8(ascii: "."), isDigit(v[7]) {
                return .failure(.unsupportedVersion)
            }
            return .failure(.malformed("bad version"))
        }
        return .success((string(bytes, parts[0]), string(bytes, parts[1]), parsedVersion))
    }

    private static func parseHeaderLine(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int)
        -> Result<(String, String), HTTP1ParseError> {
        // A leading space is obsolete line folding (RFC 9112 §5.2): refused, it hides headers from some parsers.
        guard bytes[start] != space, bytes[start] != tab else { return .failure(.malformed("folded header")) }
        var colonIndex: Int?
        for i in start..<end where bytes[i] == colon { colonIndex = i; break }
        guard let colonIndex, colonIndex > start else { return .failure(.malformed("header without name")) }
        guard (start..<colonIndex).allSatisfy({ isTokenChar(bytes[$0]) }) else {
            return .failure(.malformed("bad header name"))
        }
        var valueStart = colonIndex + 1, valueEnd = end
        while valueStart < valueEnd, bytes[valueStart] == space || bytes[valueStart] == tab { valueStart += 1 }
        while valueEnd > valueStart, bytes[valueEnd - 1] == space || bytes[valueEnd - 1] == tab { valueEnd -= 1 }
        for i in valueStart..<valueEnd {
            let b = bytes[i]
            if (b < 0x20 && b != tab) || b == 0x7F { return .failure(.malformed("control character in header")) }
        }
        return .success((string(bytes, start..<colonIndex), string(bytes, valueStart..<valueEnd)))
    }

    private static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// RFC 9110 tchar.
    static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    var trimmingSpaces: String { self[...].trimmingSpaces }
}
