import CQLMock
import EventLoop
import Glibc
import Posix
import Testing
import Transport

@Suite struct TLSConfigurationTests {
    let certs = Certificates.shared

    @Test func aKeyThatDoesNotMatchTheCertificateIsNamedWithoutShowingIt() throws {
        let otherKey = try certs.ca.issueClientCertificate().privateKeyPEM
        let configuration = TLSConfiguration.server(certificateChain: .pem(certs.server.certificatePEM),
                                                    privateKey: .pem(otherKey))
        let error = #expect(throws: TLSError.self) { try TLSContext(configuration: configuration) }
        let text = "\(try #require(error))"
        #expect(text.contains("privateKey"))
        #expect(text.contains("mismatch"))
        #expect(!text.contains("PRIVATE KEY"))
        let keyBody = otherKey.split(separator: "\n").dropFirst().first.map(String.init) ?? "?"
        #expect(!text.contains(keyBody))
    }

    @Test func missingFilesAndPiecesAreNamed() throws {
        let missing = TLSConfiguration.server(certificateChain: .file("/nonexistent/server.crt"),
                                              privateKey: .pem(certs.server.privateKeyPEM))
        #expect(throws: TLSError.invalidConfiguration("certificateChain: cannot open /nonexistent/server.crt: No such file or directory")) {
            try TLSContext(configuration: missing)
        }
        #expect(throws: TLSError.invalidConfiguration("a server needs certificateChain and privateKey")) {
            try TLSContext(configuration: TLSConfiguration(role: .server))
        }
        #expect(throws: TLSError.invalidConfiguration("certificateChain given without privateKey")) {
            try TLSContext(configuration: .client(certificateChain: .pem(certs.client.certificatePEM)))
        }
        let garbage = TLSConfiguration.client(trustRoots: .certificates(.pem("not a certificate")), serverName: "x")
        let error = #expect(throws: TLSError.self) { try TLSContext(configuration: garbage) }
        #expect("\(try #require(error))".contains("trustRoots: no PEM certificate found"))
    }

    @Test func certificatesAndKeysLoadFromFiles() throws {
        let dir = "/tmp/cql-proxy-tls-\(getpid())"
        mkdir(dir, 0o700)
        defer { for f in ["crt", "key"] { unlink("\(dir)/server.\(f)") }; rmdir(dir) }
        for (name, text) in [("crt", certs.server.certificatePEM), ("key", certs.server.privateKeyPEM)] {
            let f = try #require(fopen("\(dir)/server.\(name)", "w"))
            fputs(text, f)
            fclose(f)
        }
        _ = try TLSContext(configuration: .server(certificateChain: .file("\(dir)/server.crt"),
                                                  privateKey: .file("\(dir)/server.key")))
    }

    @Test func aVerifyingClientNeedsANameToCheck() async throws {
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]
        let context = try TLSContext(configuration: .client(trustRoots: certs.trustCA))
        let failure = Promise<TLSError?>()
        loop.execute {
            do {
                let socket = try Socket.makeTCP(family: AF_INET)
                _ = try TLSConnection(connectedFD: socket, loop: loop, context: context)
                failure.fulfill(nil)
            } catch let error as TLSError {
                failure.fulfill(error)
            } catch {
                failure.fulfill(nil)
            }
        }
        let error = try #require(await failure.wait() ?? nil)
        #expect(error.kind == "invalid_configuration")
        #expect("\(error)".contains("expectedHostName or serverName"))
    }

    @Test func verificationIsOnForClientsUnlessTurnedOff() {
        #expect(TLSConfiguration.client().verifyPeer)
        #expect(!TLSConfiguration(role: .client, verifyPeer: false).verifyPeer)
        #expect(!TLSConfiguration.server(certificateChain: .pem(""), privateKey: .pem("")).verifyPeer)
    }

    @Test func theAuthorityIssuesCertificatesOpenSSLAccepts() throws {
        #expect(certs.ca.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(certs.server.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        // A context built from the issued chain and CA checks key/certificate agreement.
        _ = try TLSContext(configuration: certs.serverConfiguration(requireClientCertificate: true))
        _ = try TLSContext(configuration: certs.clientConfiguration(withClientCertificate: true))
    }
}
