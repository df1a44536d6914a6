@testable import HTTP
import Testing

@Suite struct HTTP1ParserTests {
    private func parse(_ text: String, limits: HTTP1Parser.Limits = HTTP1Parser.Limits()) -> HTTP1ParseResult {
        Array(text.utf8).withUnsafeBytes { HTTP1Parser.parse($0, limits: limits) }
    }

    private func head(_ text: String) throws -> (HTTP1Head, Int) {
        guard case .head(let head, let consumed) = parse(text) else {
            throw TestFailure("not a complete head: \(text.debugDescription)")
        }
        return (head, consumed)
    }

    private func error(_ text: String, limits: HTTP1Parser.Limits = HTTP1Parser.Limits()) -> HTTP1ParseError? {
        if case .error(let error) = parse(text, limits: limits) { return error }
        return nil
    }

    private func needsMore(_ text: String) -> Bool {
        if case .needMore = parse(text) { return true }
        return false
    }

    @Test func parsesARequestAndReportsWhatItConsumed() throws {
        let text = "GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-Multi: 1\r\nx-multi:  2 \r\nContent-Length: 3\r\n\r\nabcGET"
        let (head, consumed) = try head(text)
        #expect(head.method == "GET" && head.target == "/a?b=c" && head.version == .http1_1)
        #expect(head.headers["HOST"] == "x")
        #expect(head.headers.values("x-multi") == ["1", "2"])
        #expect(head.contentLength == 3 && head.keepAlive)
        #expect(consumed == text.utf8.count - 6)
    }

    @Test func waitsForTheRestOfAHead() {
        #expect(needsMore("GET /liveness HT"))
        #expect(needsMore("GET /liveness HTTP/1.1\r\nHost: x\r\n"))
        #expect(needsMore("\r\n"))
    }

    @Test func acceptsBareLineFeedsAndLeadingEmptyLines() throws {
        let (head, consumed) = try head("\r\nGET / HTTP/1.0\nConnection: keep-alive\n\n")
        #expect(head.version == .http1_0 && head.keepAlive)
        #expect(consumed == 41)
    }

    @Test func keepAliveFollowsVersionAndConnectionTokens() throws {
        #expect(try head("GET / HTTP/1.1\r\nConnection: Upgrade, Close\r\n\r\n").0.keepAlive == false)
        #expect(try head("GET / HTTP/1.0\r\n\r\n").0.keepAlive == false)
        #expect(try head("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").0.keepAlive == false)
        #expect(try head("GET / HTTP/1.1\r\n\r\n").0.keepAlive == true)
    }

    @Test func contentLengthRules() throws {
        #expect(try head("GET / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n").0.contentLength == 5)
        #expect(error("GET / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n") == .malformed("bad Content-Length"))
        #expect(error("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == .malformed("bad Content-Length"))
        #expect(error("GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\n") == .malformed("bad Content-Length"))
        #expect(error("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n") == .malformed("bad Content-Length"))
        #expect(error("GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n") == .transferCodingUnsupported)
    }

    @Test func limitsAreEnforcedBeforeTheHeadIsComplete() {
        var limits = HTTP1Parser.Limits()
        limits.maxHeaderBytes = 64
        limits.maxRequestLine = 32
        #expect(error("GET /" + String(repeating: "a", count: 40), limits: limits) == .requestLineTooLong)
        #expect(error("GET /" + String(repeating: "a", count: 40) + " HTTP/1.1\r\n", limits: limits) == .requestLineTooLong)
        #expect(error("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 70), limits: limits) == .headersTooLarge)
        #expect(error("GET / HTTP/1.1\r\n" + String(repeating: "A: b\r\n", count: 11) + "\r\n", limits: limits) == .headersTooLarge)
        limits.maxHeaderCount = 2
        #expect(error("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits) == .headersTooLarge)
    }

    @Test(arguments: [
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET /\u{7f} HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\n: empty\r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\u{0}b\r\n\r\n",
        "GET / HTTX/1.1\r\n\r\n",
        "\u{16}\u{03}\u{01}\u{02}\u{00}",   // a TLS ClientHello: refused at once, not after 8 KiB
    ])
    func refusesMalformedHeads(_ text: String) {
        #expect(error(text).map { $0.status } == 400, "\(text.debugDescription)")
    }

    @Test func otherHTTPVersionsAre505() {
        #expect(error("GET / HTTP/2.0\r\n\r\n") == .unsupportedVersion)
        #expect(error("GET / HTTP/0.9\r\n\r\n") == .unsupportedVersion)
    }

    @Test func requestPathAndQuery() {
        let request = HTTPRequest(method: "GET", target: "/metrics?name=x#frag", version: .http1_1)
        #expect(request.path == "/metrics")
        #expect(request.query == "name=x#frag")
        #expect(HTTPRequest(method: "GET", target: "/", version: .http2).query == nil)
    }
}
