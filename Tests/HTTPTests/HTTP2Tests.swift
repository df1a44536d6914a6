import Glibc
import HTTP
import Testing

@Suite struct HTTP2Tests {
    @Test func twoConcurrentStreamsOnOneConnectionAreBothAnswered() async throws {
        let server = try await TestServer()
        let port = server.port
        let responses = try await blocking {
            let client = try H2Client(port: port)
            let first = try client.get(["/liveness", "/echo?s=2"])
            // The connection stays open for more streams.
            return first + (try client.get(["/readiness"]))
        }
        #expect(responses.map(\.streamID) == [1, 3, 5])
        #expect(responses[0].status == 200 && responses[0].body == "ok")
        #expect(responses[0].headers["content-length"] == "2")
        #expect(responses[1].body == "GET /echo?s=2 HTTP/2 x-test=h2")
        #expect(responses[2].body == #"{"OutageDuration":"0s"}"#)
        #expect(responses[2].headers["content-type"] == "application/json")
        #expect(responses.allSatisfy { $0.errorCode == 0 })
        await server.shutdown()
    }

    @Test func unknownPathsMethodsAndHeadOverHTTP2() async throws {
        let server = try await TestServer()
        let port = server.port
        let (missing, head, post, injected) = try await blocking {
            let client = try H2Client(port: port)
            let missing = try client.get(["/nope"])[0]
            let head = try client.get(["/liveness"], method: "HEAD")[0]
            let post = try client.get(["/liveness"], method: "POST")[0]
            let injected = try client.get(["/injected"])[0]
            return (missing, head, post, injected)
        }
        #expect(missing.status == 404)
        #expect(head.status == 200 && head.body.isEmpty && head.headers["content-length"] == "2")
        #expect(post.status == 405 && post.headers["allow"] == "GET, HEAD")
        #expect(injected.headers["content-length"] == "4" && injected.body == "fine")
        await server.shutdown()
    }

    @Test func http1AndHTTP2ClientsShareThePort() async throws {
        let server = try await TestServer()
        let port = server.port
        let (h1, h2, h1Again) = try await blocking {
            let http1 = try RawClient(port: port)
            let http2 = try H2Client(port: port)
            try http1.send("GET /liveness HTTP/1.1\r\n\r\n")
            let h1 = try http1.readResponse()
            let h2 = try http2.get(["/echo", "/liveness"])
            try http1.send("GET /echo HTTP/1.1\r\n\r\n")
            return (h1, h2, try http1.readResponse())
        }
        #expect(h1.body == "ok")
        #expect(h2.map(\.body) == ["GET /echo HTTP/2 x-test=h2", "ok"])
        #expect(h1Again.body == "GET /echo HTTP/1.1 x-test=-")
        await server.shutdown()
    }

    @Test func aPrefaceSentInPiecesIsStillHTTP2() async throws {
        let server = try await TestServer()
        let port = server.port
        let status = try await blocking { () -> Int? in
            // The server must wait for all 24 bytes before choosing; the client session resends nothing,
            // so send the preface by hand in two pieces and then let nghttp2 continue without its own magic.
            let raw = try RawClient(port: port)
            try raw.send("PRI * HTTP/2.0\r\n")
            try raw.send("\r\nSM\r\n\r\n")
            // SETTINGS (empty), then HEADERS for GET /liveness with literal, never-indexed fields.
            var frames: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]
            var block: [UInt8] = []
            for (name, value) in [(":method", "GET"), (":scheme", "http"), (":path", "/liveness"), (":authority", "x")] {
                block += [0x10, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
            }
            frames += [0, 0, UInt8(block.count), 1, 0x05, 0, 0, 0, 1] + block   // END_STREAM | END_HEADERS
            try raw.send(frames)
            // Read frames until a HEADERS frame on stream 1; its first field is :status 200 (HPACK index 8).
            var input: [UInt8] = []
            while true {
                while input.count >= 9 {
                    let length = Int(input[0]) << 16 | Int(input[1]) << 8 | Int(input[2])
                    guard input.count >= 9 + length else { break }
                    if input[3] == 1 && input[8] == 1 { return input[9] == 0x88 ? 200 : Int(input[9]) }
                    input.removeFirst(9 + length)
                }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = chunk.withUnsafeMutableBytes { recv(raw.fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { return nil }
                input += chunk[0..<n]
            }
        }
        #expect(status == 200)
        await server.shutdown()
    }

    @Test func garbageAfterThePrefaceEndsTheConnectionWithGoAway() async throws {
        let server = try await TestServer()
        let port = server.port
        let (sawGoAway, closed) = try await blocking { () -> (Bool, Bool) in
            let raw = try RawClient(port: port)
            try raw.send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [UInt8](repeating: 0xFF, count: 64))
            var input: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(raw.fd, $0.baseAddress, $0.count, 0) }
                if n == 0 || (n < 0 && errno == ECONNRESET) { break }
                guard n > 0 else { throw TestFailure("recv: \(errno)") }
                input += chunk[0..<n]
            }
            var offset = 0, goAway = false
            while offset + 9 <= input.count {
                let length = Int(input[offset]) << 16 | Int(input[offset + 1]) << 8 | Int(input[offset + 2])
                if input[offset + 3] == 7 { goAway = true }
                offset += 9 + length
            }
            return (goAway, true)
        }
        #expect(sawGoAway)
        #expect(closed)
        // The server is unharmed.
        let ok = try await blocking { try H2Client(port: port).get(["/liveness"])[0].body }
        #expect(ok == "ok")
        await server.shutdown()
    }

    @Test func anIdleHTTP2ConnectionIsSentGoAwayAndClosed() async throws {
        var limits = HTTPServerLimits()
        limits.idleTimeout = .milliseconds(200)
        let server = try await TestServer(limits: limits)
        let port = server.port
        let (body, endedByServer) = try await blocking {
            let client = try H2Client(port: port)
            let body = try client.get(["/liveness"])[0].body
            return (body, try client.pump { false } == false)
        }
        #expect(body == "ok")
        #expect(endedByServer)
        await server.shutdown()
    }
}
