import HTTP
import Testing

@Suite struct HTTP1Tests {
    @Test func keepAliveServesTwoRequestsOnOneSocket() async throws {
        let server = try await TestServer()
        let port = server.port
        let (first, second) = try await blocking {
            let client = try RawClient(port: port)
            try client.send("GET /liveness HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = try client.readResponse()
            try client.send("GET /echo?a=1 HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\n\r\n")
            return (first, try client.readResponse())
        }
        #expect(first.status == 200)
        #expect(first.body == "ok")
        #expect(first.header("content-length") == "2")
        #expect(first.header("connection") == nil)
        #expect(second.body == "GET /echo?a=1 HTTP/1.1 x-test=yes")
        await server.shutdown()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let server = try await TestServer()
        let port = server.port
        let bodies = try await blocking {
            let client = try RawClient(port: port)
            var batch = ""
            for i in 0..<20 { batch += "GET /echo?n=\(i) HTTP/1.1\r\nHost: x\r\n\r\n" }
            batch += "GET /liveness HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            try client.send(batch)
            var bodies: [String] = []
            for _ in 0...20 { bodies.append(try client.readResponse().body) }
            #expect(try client.closedByServer())
            return bodies
        }
        #expect(bodies == (0..<20).map { "GET /echo?n=\($0) HTTP/1.1 x-test=-" } + ["ok"])
        await server.shutdown()
    }

    @Test func connectionCloseIsHonoured() async throws {
        let server = try await TestServer()
        let port = server.port
        let (response, closed) = try await blocking {
            let client = try RawClient(port: port)
            try client.send("GET /liveness HTTP/1.1\r\nConnection: close\r\n\r\n")
            return (try client.readResponse(), try client.closedByServer())
        }
        #expect(response.status == 200)
        #expect(response.header("connection") == "close")
        #expect(closed)
        await server.shutdown()
    }

    @Test func http10ClosesUnlessAskedToKeepAlive() async throws {
        let server = try await TestServer()
        let port = server.port
        let (plain, closed, kept, keptAgain) = try await blocking {
            let a = try RawClient(port: port)
            try a.send("GET /liveness HTTP/1.0\r\n\r\n")
            let plain = try a.readResponse()
            let closed = try a.closedByServer()
            let b = try RawClient(port: port)
            try b.send("GET /liveness HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
            let kept = try b.readResponse()
            try b.send("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            return (plain, closed, kept, try b.readResponse())
        }
        #expect(plain.status == 200 && plain.header("connection") == "close")
        #expect(closed)
        #expect(kept.header("connection") == "keep-alive")
        #expect(keptAgain.body == "GET /echo HTTP/1.0 x-test=-")
        await server.shutdown()
    }

    @Test func unknownPathIs404AndOtherMethodsAre405WithTheBodySkipped() async throws {
        let server = try await TestServer()
        let port = server.port
        let (missing, post, after) = try await blocking {
            let client = try RawClient(port: port)
            try client.send("GET /nope HTTP/1.1\r\n\r\n")
            let missing = try client.readResponse()
            // The body is discarded and the connection stays in step: the next request parses.
            try client.send("POST /liveness HTTP/1.1\r\nContent-Length: 11\r\n\r\nGET /x HTTP")
            let post = try client.readResponse()
            try client.send("GET /liveness HTTP/1.1\r\n\r\n")
            return (missing, post, try client.readResponse())
        }
        #expect(missing.status == 404)
        #expect(post.status == 405)
        #expect(post.header("allow") == "GET, HEAD")
        #expect(after.status == 200 && after.body == "ok")
        await server.shutdown()
    }

    @Test func headGetsTheHeadersOfGetWithoutABody() async throws {
        let server = try await TestServer()
        let port = server.port
        let (head, next) = try await blocking {
            let client = try RawClient(port: port)
            try client.send("HEAD /readiness HTTP/1.1\r\n\r\nGET /liveness HTTP/1.1\r\n\r\n")
            return (try client.readResponse(head: true), try client.readResponse())
        }
        #expect(head.status == 200)
        #expect(head.header("content-length") == "\(#"{"OutageDuration":"0s"}"#.utf8.count)")
        #expect(head.header("content-type") == "application/json")
        #expect(next.body == "ok")
        await server.shutdown()
    }

    @Test func handlersAnswerFromSharedStateAtEachRequest() async throws {
        let server = try await TestServer()
        let port = server.port
        let ready = try await blocking {
            let client = try RawClient(port: port)
            try client.send("GET /readiness HTTP/1.1\r\n\r\n")
            return try client.readResponse()
        }
        server.ready.set(false)
        let notReady = try await blocking {
            let client = try RawClient(port: port)
            try client.send("GET /readiness HTTP/1.1\r\n\r\n")
            return try client.readResponse()
        }
        #expect(ready.status == 200 && ready.body == #"{"OutageDuration":"0s"}"#)
        #expect(notReady.status == 503 && notReady.body == #"{"OutageDuration":"31s"}"#)
        await server.shutdown()
    }

    @Test func handlerHeadersCannotForgeFramingOrInjectLines() async throws {
        let server = try await TestServer()
        let port = server.port
        let response = try await blocking {
            let client = try RawClient(port: port)
            try client.send("GET /injected HTTP/1.1\r\n\r\n")
            return try client.readResponse()
        }
        #expect(response.header("content-length") == "4")
        #expect(response.header("set-cookie") == nil)
        #expect(response.header("x-bad") == "a Set-Cookie: x=1")   // CRLF is one Character: one space
        #expect(response.body == "fine")
        await server.shutdown()
    }

    @Test(arguments: [
        ("oversized header block", "GET /liveness HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 9000) + "\r\n\r\n", 431),
        ("oversized request line", "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n\r\n", 400),
        ("binary garbage", "\u{01}\u{02}\u{03}\u{7f}garbage", 400),
        ("no version", "GET /liveness\r\n\r\n", 400),
        ("folded header", "GET /liveness HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n", 400),
        ("space before colon", "GET /liveness HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        ("chunked body", "POST /liveness HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("conflicting lengths", "GET /liveness HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("huge body", "POST /liveness HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413),
        ("HTTP/2.0 request line", "GET /liveness HTTP/2.0\r\n\r\n", 505),
    ])
    func badRequestsGetAnErrorAndAClose(_ name: String, _ request: String, _ status: Int) async throws {
        let server = try await TestServer()
        let port = server.port
        let (response, closed) = try await blocking {
            let client = try RawClient(port: port)
            try client.send(request)
            return (try client.readResponse(), try client.closedByServer())
        }
        #expect(response.status == status, "\(name)")
        #expect(response.header("connection") == "close", "\(name)")
        #expect(closed, "\(name)")
        await server.shutdown()
    }

    @Test func aClientTooSlowToFinishItsRequestGets408AndIsClosed() async throws {
        var limits = HTTPServerLimits()
        limits.requestTimeout = .milliseconds(200)
        let server = try await TestServer(limits: limits)
        let port = server.port
        let (response, closed) = try await blocking {
            let client = try RawClient(port: port)
            try client.send("GET /liveness HTTP/1.1\r\nHost: x\r\n")
            return (try client.readResponse(), try client.closedByServer())
        }
        #expect(response.status == 408)
        #expect(closed)
        await server.shutdown()
    }

    @Test func anIdleKeepAliveConnectionIsClosed() async throws {
        var limits = HTTPServerLimits()
        limits.idleTimeout = .milliseconds(200)
        let server = try await TestServer(limits: limits)
        let port = server.port
        let (response, closed) = try await blocking {
            let client = try RawClient(port: port)
            try client.send("GET /liveness HTTP/1.1\r\n\r\n")
            return (try client.readResponse(), try client.closedByServer())
        }
        #expect(response.status == 200)
        #expect(closed)
        await server.shutdown()
    }

    @Test func stopClosesTheListenerAndOpenConnections() async throws {
        let server = try await TestServer()
        let port = server.port
        let client = try await blocking { () -> UncheckedBox<RawClient> in
            let client = try RawClient(port: port)
            try client.send("GET /liveness HTTP/1.1\r\n\r\n")
            _ = try client.readResponse()
            return UncheckedBox(client)
        }
        await server.shutdown()
        let closed = try await blocking { try client.value.closedByServer() }
        #expect(closed)
        #expect(throws: TestFailure.self) { _ = try RawClient(port: port) }
    }
}

/// Hands a client from one blocking block to the next; only one thread uses it at a time.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
