import Astra
import CQLMock
import Dispatch
import Foundation
import Glibc
import Posix
import Transport
import ZIPFoundation

/// Certificates made once per test process with the in-process CA.
struct TestPKI: Sendable {
    let ca: CertificateAuthority
    let otherCA: CertificateAuthority
    let server: IssuedCertificate
    let client: IssuedCertificate
    let strangerClient: IssuedCertificate

    static let shared: TestPKI = {
        let ca = try! CertificateAuthority(commonName: "astra test CA")
        let other = try! CertificateAuthority(commonName: "unrelated CA")
        return TestPKI(
            ca: ca, otherCA: other,
            server: try! ca.issueServerCertificate(dnsNames: ["localhost", "db.example.test"], ipAddresses: ["127.0.0.1"]),
            client: try! ca.issueClientCertificate(commonName: "proxy"),
            strangerClient: try! other.issueClientCertificate(commonName: "stranger"))
    }()

    var trust: TLSConfiguration.TrustRoots { .certificates(.pem(ca.certificatePEM)) }

    func serverTLS(alpn: [String] = ["h2", "http/1.1"], requireClientCertificate: Bool = false) -> TLSConfiguration {
        .server(certificateChain: .pem(server.certificatePEM), privateKey: .pem(server.privateKeyPEM),
                trustRoots: trust, requireClientCertificate: requireClientCertificate, alpnProtocols: alpn)
    }

    func clientTLS(withCertificate: Bool = false) -> TLSConfiguration {
        .client(trustRoots: trust, certificateChain: withCertificate ? .pem(client.certificatePEM) : nil,
                privateKey: withCertificate ? .pem(client.privateKeyPEM) : nil)
    }
}

/// Runs blocking client code on Dispatch, as the proxy will, instead of on a Swift concurrency thread.
func offLoop<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async -> Result<T, E> {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            do throws(E) {
                continuation.resume(returning: .success(try body()))
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
    var value: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}

/// A bundle zip built in memory: the four entries (any may be left out or replaced) plus the extras real
/// bundles carry.
func makeBundleZip(config: String? = defaultConfigJSON(), ca: String? = TestPKI.shared.ca.certificatePEM,
                   cert: String? = TestPKI.shared.client.certificatePEM,
                   key: String? = TestPKI.shared.client.privateKeyPEM, prefix: String = "") throws -> Data {
    let archive = try Archive(data: Data(), accessMode: .create, pathEncoding: nil)
    var entries: [(String, Data)] = [("cqlshrc", Data("[connection]\n".utf8)), ("identity.jks", Data([0xFE, 0xED]))]
    if let config { entries.append(("config.json", Data(config.utf8))) }
    if let ca { entries.append(("ca.crt", Data(ca.utf8))) }
    if let cert { entries.append(("cert", Data(cert.utf8))) }
    if let key { entries.append(("key", Data(key.utf8))) }
    for (name, data) in entries {
        try archive.addEntry(with: prefix + name, type: .file, uncompressedSize: Int64(data.count),
                             compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }
    return archive.data!
}

func defaultConfigJSON(host: String = "localhost", port: Int = 29080) -> String {
    """
    {"host": "\(host)", "port": \(port), "cql_port": 29042, "keyspace": "ks1", "localDC": "dc-east",
     "caCertLocation": "./ca.crt", "keyLocation": "./key", "certLocation": "./cert",
     "keyStoreLocation": "./identity.jks", "keyStorePassword": "x", "trustStoreLocation": "./trustStore.jks",
     "trustStorePassword": "y", "pfxCertPassword": "z"}
    """
}

/// A fresh directory under /tmp, removed by the caller.
func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/astra-tests-XXXXXX".utf8CString)
    guard let path = mkdtemp(&template) else { throw POSIXError(.EIO) }
    return String(cString: path)
}

/// A port on 127.0.0.1 nothing listens on (bound, then closed).
func closedPort() throws -> Int {
    let socket = try Socket.makeTCP(family: AF_INET)
    try Socket.bind(socket.rawValue, to: SocketAddress(ip: "127.0.0.1", port: 0)!)
    let port = Socket.localAddress(socket.rawValue)!.port
    socket.close()
    return port
}
