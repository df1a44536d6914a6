import CQLMock
import EventLoop
import Glibc
import Posix
import Testing
import Transport

@Suite struct TLSHandshakeTests {
    let certs = Certificates.shared

    /// A server with `configuration` on loop 0; the client connects from loop 1 and, when connected, sends
    /// "ping" and waits for its echo.
    private func handshake(server configuration: TLSConfiguration, client: TLSConfiguration,
                           serverName: String? = nil, expectedHostName: String? = nil)
        async throws -> (client: ClientOutcome, echo: EchoServerDelegate, collector: Collector, group: EventLoopGroup,
                         holder: Holder) {
        let group = try EventLoopGroup(count: 2)
        let echo = EchoServerDelegate()
        let server = try await TLSTestServer(loop: group.loops[0], context: try TLSContext(configuration: configuration),
                                             delegate: echo)
        let collector = Collector(expected: 4)
        let holder = Holder()
        let outcome = await connectTLS(to: server.address, on: group.loops[1], context: try TLSContext(configuration: client),
                                       serverName: serverName, expectedHostName: expectedHostName, holder: holder) {
            $0.delegate = collector
            $0.write(Array("ping".utf8))
        }
        return (try #require(outcome), echo, collector, group, holder)
    }

    @Test func mutualTLSAcceptsAClientCertificate() async throws {
        let r = try await handshake(server: certs.serverConfiguration(requireClientCertificate: true),
                                    client: certs.clientConfiguration(withClientCertificate: true))
        defer { r.group.shutdown() }
        guard case .connected(_, let serverPresented) = r.client else { Issue.record("\(r.client)"); return }
        #expect(serverPresented)
        #expect(await r.collector.done.wait() == Array("ping".utf8))
        let view = try #require(await r.echo.firstView.wait())
        #expect(view.hasPeerCertificate)
    }

    @Test func mutualTLSRefusesAClientWithoutACertificate() async throws {
        let r = try await handshake(server: certs.serverConfiguration(requireClientCertificate: true),
                                    client: certs.clientConfiguration(withClientCertificate: false))
        defer { r.group.shutdown() }
        // TLS 1.3 finishes the client's side before the server checks it: the refusal may come as an alert
        // on the first read. Either way no data flows and the server reports a handshake failure.
        if case .failed(let error) = r.client { #expect(error.kind == "handshake_failed") }
        else { #expect(await r.collector.closed.wait() != "nil") }
        let serverSide = try #require(await r.echo.firstClose.wait())
        #expect(serverSide.contains("handshake failed"))
        #expect(r.collector.received.isEmpty)
    }

    @Test func aServerSignedByAnotherCAIsRefused() async throws {
        var client = certs.clientConfiguration()
        client.trustRoots = .certificates(.pem(certs.otherCA.certificatePEM))
        let r = try await handshake(server: certs.serverConfiguration(), client: client)
        defer { r.group.shutdown() }
        let error = try #require(r.client.error)
        #expect(error.kind == "handshake_failed")
        #expect("\(error)".contains("certificate verify failed"))
    }

    @Test func expectedHostNameMayDifferFromSNI() async throws {
        let hostID = "8e9b1c4a-3f2d-4e5f-9a0b-1c2d3e4f5a6b"
        let r = try await handshake(server: certs.serverConfiguration(), client: certs.clientConfiguration(),
                                    serverName: hostID, expectedHostName: "db.example.test")
        defer { r.group.shutdown() }
        guard case .connected = r.client else { Issue.record("\(r.client)"); return }
        let view = try #require(await r.echo.firstView.wait())
        #expect(view.serverName == hostID)
        #expect(await r.collector.done.wait() == Array("ping".utf8))
    }

    @Test func aWrongExpectedHostNameIsRefused() async throws {
        let r = try await handshake(server: certs.serverConfiguration(), client: certs.clientConfiguration(),
                                    serverName: "db.example.test", expectedHostName: "other.example.test")
        defer { r.group.shutdown() }
        let error = try #require(r.client.error)
        #expect(error.kind == "handshake_failed")
        #expect("\(error)".contains("certificate verify failed"))
    }

    @Test func anIPAddressIsVerifiedAgainstTheCertificatesIPEntries() async throws {
        let r = try await handshake(server: certs.serverConfiguration(), client: certs.clientConfiguration(serverName: "127.0.0.1"))
        defer { r.group.shutdown() }
        guard case .connected = r.client else { Issue.record("\(r.client)"); return }
        let view = try #require(await r.echo.firstView.wait())
        #expect(view.serverName == nil)   // no SNI for an IP
    }

    @Test func alpnPicksTheServersPreferenceAmongOffered() async throws {
        let r = try await handshake(server: certs.serverConfiguration(alpn: ["h2", "http/1.1"]),
                                    client: certs.clientConfiguration(alpn: ["http/1.1", "h2"]))
        defer { r.group.shutdown() }
        guard case .connected(let alpn, _) = r.client else { Issue.record("\(r.client)"); return }
        #expect(alpn == "h2")
        #expect(try #require(await r.echo.firstView.wait()).alpn == "h2")
    }

    @Test func alpnWithoutOverlapConnectsWithoutAProtocol() async throws {
        let r = try await handshake(server: certs.serverConfiguration(alpn: ["h2"]),
                                    client: certs.clientConfiguration(alpn: ["cql"]))
        defer { r.group.shutdown() }
        guard case .connected(let alpn, _) = r.client else { Issue.record("\(r.client)"); return }
        #expect(alpn == nil)
    }

    @Test func theServerSeesTheRequestedName() async throws {
        let seen = Locked<[String?]>([])
        let r = try await handshake(
            server: certs.serverConfiguration(serverNameHandler: { name in
                seen.withLock { $0.append(name) }
                return .accept
            }),
            client: certs.clientConfiguration(), serverName: "node-7", expectedHostName: "localhost")
        defer { r.group.shutdown() }
        guard case .connected = r.client else { Issue.record("\(r.client)"); return }
        #expect(await r.collector.done.wait() == Array("ping".utf8))
        #expect(seen.withLock { $0 } == ["node-7"])
        #expect(try #require(await r.echo.firstView.wait()).serverName == "node-7")
    }

    @Test func theServerRefusesAnUnknownName() async throws {
        let known: Set<String> = ["known-node"]
        let r = try await handshake(
            server: certs.serverConfiguration(serverNameHandler: { name in
                name.map(known.contains) == true ? .accept : .reject
            }),
            client: certs.clientConfiguration(), serverName: "unknown-node", expectedHostName: "localhost")
        defer { r.group.shutdown() }
        let error = try #require(r.client.error)
        #expect(error.kind == "handshake_failed")
        #expect("\(error)".contains("unrecognized name"))
        let serverSide = try #require(await r.echo.firstClose.wait())
        #expect(serverSide.contains("handshake failed"))
    }

    @Test func systemTrustHonoursSSLCertFile() async throws {
        let path = "/tmp/cql-proxy-tls-ca-\(getpid()).pem"
        let f = try #require(fopen(path, "w"))
        fputs(certs.ca.certificatePEM, f)
        fclose(f)
        setenv("SSL_CERT_FILE", path, 1)
        defer { unsetenv("SSL_CERT_FILE"); unlink(path) }
        var client = certs.clientConfiguration()
        client.trustRoots = .system
        let r = try await handshake(server: certs.serverConfiguration(), client: client)
        defer { r.group.shutdown() }
        guard case .connected = r.client else { Issue.record("\(r.client)"); return }
        #expect(await r.collector.done.wait() == Array("ping".utf8))
    }

    @Test func aServerThatNeverAnswersTimesTheHandshakeOut() async throws {
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]
        let holder = Holder()
        let port = Promise<Int>()
        loop.execute {
            // Plain TCP: accepts, keeps the socket open, says nothing.
            let listener = try! TCPListener(bindTo: SocketAddress(ip: "127.0.0.1", port: 0)!, loop: loop,
                                            reusePort: false) { fd in
                holder.objects.append(try! TCPConnection(fd: fd, loop: loop))
            }
            try! listener.start()
            holder.objects.append(listener)
            port.fulfill(listener.address.port)
        }
        let address = SocketAddress(ip: "127.0.0.1", port: try #require(await port.wait()))!
        let started = ContinuousClock.now
        let outcome = await connectTLS(to: address, on: loop, context: try TLSContext(configuration: certs.clientConfiguration()),
                                       timeout: .milliseconds(300), holder: holder)
        let elapsed = ContinuousClock.now - started
        #expect(try #require(outcome).error == .handshakeTimeout)
        #expect(elapsed >= .milliseconds(250))
        #expect(elapsed < .seconds(30))   // bounded, not a hang; loose for loaded machines
    }
}
