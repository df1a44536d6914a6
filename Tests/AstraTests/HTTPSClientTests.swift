import Foundation
import Glibc
import HTTP
import Posix
import Testing
import Transport

@Suite("HTTPSClient")
struct HTTPSClientTests {
    let pki = TestPKI.shared

    private func send(_ request: HTTPClientRequest, tls: TLSConfiguration? = nil, timeout: Duration = .seconds(10),
                      maxBodyBytes: Int = HTTPSClient.defaultMaxBodyBytes) async -> Result<HTTPClientResponse, HTTPClientError> {
        let tls = tls ?? pki.clientTLS()
        return await offLoop { () throws(HTTPClientError) in
            try HTTPSClient.send(request, tls: tls, timeout: timeout, maxBodyBytes: maxBodyBytes)
        }
    }

    @Test("HTTP/1.1 when the server offers only http/1.1: Host, Connection: close, SNI, Content-Length body")
    func http1() async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: ["http/1.1"])) { _ in
            .response(status: 200, headers: [("X-Answer", "42")], body: Array("hello".utf8))
        }
        defer { server.stop() }
        let response = try await send(HTTPClientRequest(url: "https://localhost:\(server.port)/a/b?x=1",
                                                        headers: HTTPHeaders([("X-Custom", "yes")]))).get()
        #expect(response.version == .http1_1)
        #expect(response.status == 200)
        #expect(response.headers["x-answer"] == "42")
        #expect(response.body == Array("hello".utf8))
        let seen = try #require(server.requests.first)
        #expect(seen.alpn == "http/1.1")
        #expect(seen.method == "GET" && seen.target == "/a/b?x=1")
        #expect(seen.headers["host"] == "localhost:\(server.port)")
        #expect(seen.headers["connection"] == "close")
        #expect(seen.headers["x-custom"] == "yes")
        #expect(seen.serverName == "localhost")
    }

    @Test("HTTP/2 when ALPN picks h2: status, headers, body, and the request's headers and :authority")
    func http2() async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS()) { _ in .json(#"{"ok":true}"#) }
        defer { server.stop() }
        let response = try await send(HTTPClientRequest(url: "https://localhost:\(server.port)/metadata",
                                                        headers: HTTPHeaders([("Accept", "application/json")]))).get()
        #expect(response.version == .http2)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"ok":true}"#)
        let seen = try #require(server.requests.first)
        #expect(seen.alpn == "h2")
        #expect(seen.headers["host"] == "localhost:\(server.port)")
        #expect(seen.headers["accept"] == "application/json")
        #expect(seen.target == "/metadata")
    }

    @Test("POST bodies reach the server over both protocols", arguments: [["h2"], ["http/1.1"]])
    func postBody(alpn: [String]) async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: alpn)) { request in
            .response(status: 201, body: request.body.reversed())
        }
        defer { server.stop() }
        let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let response = try await send(HTTPClientRequest(method: "POST", url: "https://127.0.0.1:\(server.port)/upload",
                                                        body: payload)).get()
        #expect(response.status == 201)
        #expect(response.body == payload.reversed())
        let seen = try #require(server.requests.first)
        #expect(seen.method == "POST")
        #expect(seen.headers["content-length"] == "100000")
        #expect(seen.body == payload)
    }

    @Test("an empty POST still says Content-Length: 0", arguments: [["h2"], ["http/1.1"]])
    func emptyPost(alpn: [String]) async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: alpn)) { _ in .response(status: 204) }
        defer { server.stop() }
        let response = try await send(HTTPClientRequest(method: "POST", url: "https://127.0.0.1:\(server.port)/x")).get()
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
        #expect(server.requests.first?.headers["content-length"] == "0")
    }

    @Test("chunked HTTP/1.1 responses are de-chunked (extensions and trailers skipped)")
    func chunked() async throws {
        let chunks: [[UInt8]] = [Array("first part, ".utf8), Array(repeating: 0x61, count: 40_000), Array("end".utf8)]
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: ["http/1.1"])) { _ in
            .chunked(status: 200, chunks: chunks)
        }
        defer { server.stop() }
        let response = try await send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/")).get()
        #expect(response.body == chunks.flatMap { $0 })
        #expect(response.headers["transfer-encoding"] == "chunked")
    }

    @Test("a response without length runs until the server closes")
    func untilClose() async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: ["http/1.1"])) { _ in
            .untilClose(status: 200, body: Array("all of it".utf8))
        }
        defer { server.stop() }
        let response = try await send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/")).get()
        #expect(response.body == Array("all of it".utf8))
    }

    @Test("an interim 100 Continue is skipped; HTTP/1.0 is reported as such")
    func interimResponse() async throws {
        let raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: ["http/1.1"])) { _ in .raw(Array(raw.utf8)) }
        defer { server.stop() }
        let response = try await send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/")).get()
        #expect(response.status == 200)
        #expect(response.version == .http1_0)
        #expect(response.body == Array("ok".utf8))
    }

    @Test("a connection closed mid-body is an error, not a short body")
    func truncated() async throws {
        let raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: ["http/1.1"])) { _ in .raw(Array(raw.utf8)) }
        defer { server.stop() }
        let error = try #require(await send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/")).error)
        guard case .protocolError(let endpoint, let reason) = error else { Issue.record("\(error)"); return }
        #expect(endpoint == "127.0.0.1:\(server.port)")
        #expect(reason.contains("closed before the response was complete"))
    }

    @Test("garbage instead of a status line is a protocol error")
    func garbage() async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: ["http/1.1"])) { _ in .raw(Array("SSH-2.0-x\r\n\r\n".utf8)) }
        defer { server.stop() }
        let error = try #require(await send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/")).error)
        #expect(error.description.contains("bad status line"))
    }

    @Test("a 3 MiB body over h2 arrives whole (flow control windows)")
    func largeBodyHTTP2() async throws {
        let big = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 / 3) }
        let server = try TestHTTPSServer(tls: pki.serverTLS()) { _ in .response(status: 200, body: big) }
        defer { server.stop() }
        let response = try await send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/big")).get()
        #expect(response.version == .http2)
        #expect(response.body.count == big.count)
        #expect(response.body == big)
    }

    @Test("bodies beyond the cap are refused", arguments: [["h2"], ["http/1.1"]])
    func bodyCap(alpn: [String]) async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: alpn)) { _ in
            .chunked(status: 200, chunks: [Array(repeating: 1, count: 6000), Array(repeating: 2, count: 6000)])
        }
        defer { server.stop() }
        let result = await send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/"), maxBodyBytes: 10_000)
        #expect(result.error == .bodyTooLarge(endpoint: "127.0.0.1:\(server.port)", limit: 10_000))
    }

    @Test("a server that never answers: the deadline ends the wait", arguments: [["h2"], ["http/1.1"]])
    func responseTimeout(alpn: [String]) async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: alpn)) { _ in .never }
        defer { server.stop() }
        let started = ContinuousClock.now
        let result = await send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/"), timeout: .milliseconds(400))
        let elapsed = ContinuousClock.now - started
        #expect(result.error == .timeout(endpoint: "127.0.0.1:\(server.port)", phase: "waiting for the response"))
        #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(30))   // bounded, not a hang; loose for loaded machines
    }

    @Test("a peer that accepts TCP but never speaks TLS: handshake timeout")
    func handshakeTimeout() async throws {
        let listener = try RawListener(backlog: 8)
        defer { listener.close() }
        let result = await send(HTTPClientRequest(url: "https://127.0.0.1:\(listener.port)/"), timeout: .milliseconds(300))
        #expect(result.error == .timeout(endpoint: "127.0.0.1:\(listener.port)", phase: "in the TLS handshake"))
    }

    @Test("a connect that never completes (listen queue full): 'connect to host:port timed out'")
    func connectTimeout() async throws {
        let listener = try RawListener(backlog: 0)
        defer { listener.close() }
        let filler = try listener.connectBlocking()   // fills the queue: the kernel now drops SYNs
        defer { Glibc.close(filler) }
        let result = await send(HTTPClientRequest(url: "https://127.0.0.1:\(listener.port)/"), timeout: .milliseconds(300))
        let error = try #require(result.error)
        #expect(error == .connectTimeout(endpoint: "127.0.0.1:\(listener.port)"))
        #expect(error.description == "connect to 127.0.0.1:\(listener.port) timed out")
        #expect(error.isUnreachable)
    }

    @Test("connection refused")
    func refused() async throws {
        let port = try closedPort()
        let error = try #require(await send(HTTPClientRequest(url: "https://127.0.0.1:\(port)/")).error)
        guard case .connectFailed(let endpoint, let reason) = error else { Issue.record("\(error)"); return }
        #expect(endpoint == "127.0.0.1:\(port)")
        #expect(reason.lowercased().contains("refused"))
        #expect(error.isUnreachable)
    }

    @Test("a server certificate from a CA we do not trust fails verification")
    func wrongCA() async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS()) { _ in .response(status: 200) }
        defer { server.stop() }
        let tls = TLSConfiguration.client(trustRoots: .certificates(.pem(pki.otherCA.certificatePEM)))
        let error = try #require(await send(HTTPClientRequest(url: "https://localhost:\(server.port)/"), tls: tls).error)
        guard case .tls(_, let reason) = error else { Issue.record("\(error)"); return }
        #expect(reason.contains("certificate verify failed"))
        #expect(error.description.hasPrefix("TLS with localhost:\(server.port): certificate verify failed"))
        #expect(server.requests.isEmpty)
    }

    @Test("the certificate must name the URL's host, or the explicit expected host name")
    func hostNameCheck() async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS()) { _ in .response(status: 200) }
        defer { server.stop() }
        var tls = pki.clientTLS()
        tls.expectedHostName = "other.example.test"
        let error = try #require(await send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/"), tls: tls).error)
        #expect(error.description.contains("certificate verify failed"))

        tls.expectedHostName = "db.example.test"   // named by the certificate, though not the URL's host
        let response = try await send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/"), tls: tls).get()
        #expect(response.status == 200)
    }

    @Test("a server requiring a client certificate: refused without one, served with one",
          arguments: [["h2"], ["http/1.1"]])
    func clientCertificate(alpn: [String]) async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: alpn, requireClientCertificate: true)) { _ in
            .response(status: 200, body: Array("mtls".utf8))
        }
        defer { server.stop() }
        let url = "https://localhost:\(server.port)/"
        let refused = try #require(await send(HTTPClientRequest(url: url)).error)
        guard case .tls = refused else { Issue.record("expected a TLS error, got \(refused)"); return }

        let response = try await send(HTTPClientRequest(url: url), tls: pki.clientTLS(withCertificate: true)).get()
        #expect(response.body == Array("mtls".utf8))
        #expect(server.requests.last?.hadClientCertificate == true)
    }

    @Test("URLs: only https, no user info; errors never print the query")
    func urls() async throws {
        let plain = try #require(await send(HTTPClientRequest(url: "http://example.test/x?sig=SECRET")).error)
        guard case .invalidURL = plain else { Issue.record("\(plain)"); return }
        #expect(!plain.description.contains("SECRET"))
        let userInfo = try #require(await send(HTTPClientRequest(url: "https://user:pw@example.test/")).error)
        guard case .invalidURL = userInfo else { Issue.record("\(userInfo)"); return }
        #expect(!userInfo.description.contains("pw"))
        let badPort = try #require(await send(HTTPClientRequest(url: "https://example.test:99999/")).error)
        guard case .invalidURL = badPort else { Issue.record("\(badPort)"); return }
    }

    @Test("header values with CR/LF cannot inject headers; Authorization never shows in errors")
    func headerHygiene() async throws {
        let server = try TestHTTPSServer(tls: pki.serverTLS(alpn: ["http/1.1"])) { _ in .never }
        defer { server.stop() }
        let secret = "AstraCS:supersecret"
        let request = HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/",
                                        headers: HTTPHeaders([("Authorization", "Bearer \(secret)"),
                                                              ("X-Evil", "a\r\nInjected: 1")]))
        let error = try #require(await send(request, timeout: .milliseconds(300)).error)
        #expect(!error.description.contains(secret))
        let seen = try #require(server.requests.first)
        #expect(seen.headers["injected"] == nil)
        #expect(seen.headers["authorization"] == "Bearer \(secret)")
    }
}

/// A listening socket that never accepts: with a backlog of 0 and one connection queued, the kernel drops
/// further SYNs, so connects hang; with a larger backlog, connects complete and then nothing is said.
final class RawListener {
    let fd: CInt
    let port: Int

    init(backlog: CInt) throws {
        let socket = try Socket.makeTCP(family: AF_INET)
        try Socket.bind(socket.rawValue, to: SocketAddress(ip: "127.0.0.1", port: 0)!)
        guard listen(socket.rawValue, backlog) == 0 else { throw POSIXError(.EIO) }
        port = Socket.localAddress(socket.rawValue)!.port
        fd = socket.release()
    }

    /// A blocking connect that completes into the accept queue.
    func connectBlocking() throws -> CInt {
        let client = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        let address = SocketAddress(ip: "127.0.0.1", port: port)!
        let rc = address.withSockAddr { Glibc.connect(client, $0, $1) }
        guard rc == 0 else { Glibc.close(client); throw POSIXError(.ECONNREFUSED) }
        return client
    }

    func close() { Glibc.close(fd) }
}
