import Dispatch
import EventLoop
import Foundation
import HTTP
import Posix
import Transport

/// DataStax Astra in miniature, in front of a `MockCluster`, faithful enough for the real drivers' cloud
/// path: a secure-connect bundle, the metadata service (HTTPS, mutual TLS), the SNI front (TLS, mutual, node
/// chosen by host id) and the DevOps API's bundle endpoints (HTTPS, HTTP/2 or HTTP/1.1). Everything listens
/// on 127.0.0.1, port 0, on the emulator's own loop.
///
/// Token auth is the cluster's: create it with credentials ("token", `token`) and data center `region`
/// (`makeCluster(nodes:token:region:)`), or let `init(nodes:...)` do it.
public final class AstraEmulator: Sendable {
    public let cluster: MockCluster
    public let databaseID: UUID
    /// The primary region: metadata `region`/`local_dc`, config.json `localDC`, first DevOps element.
    public let region: String
    /// `region` then the extra regions, as the DevOps API lists them.
    public let regions: [String]
    /// The application token (`AstraCS:...`) the DevOps API and the cluster accept.
    public let token: String
    /// config.json's `host`: the metadata and SNI host name, which the server certificate names.
    public let host: String
    public let keyspace: String
    /// PEM of the CA that signed every server certificate and the bundle's client certificate.
    public let caPEM: String
    /// `caPEM` on disk, e.g. for `SSL_CERT_FILE` (removed by `stop()`).
    public let caFileURL: URL
    public let metadataPort: Int
    public let sniPort: Int
    public let devOpsPort: Int

    private let group: EventLoopGroup
    private let metadataServer: HTTPServer
    private let devOpsServer: HTTPServer
    private let sniFront: AstraSNIFront
    private let metadataSwitch = AvailabilitySwitch()
    private let bundles: [String: Data]
    private let directory: URL
    private let ownsCluster: Bool
    private let stopped = Locked(false)

    /// Starts every service. `host` defaults to "localhost" when it resolves to 127.0.0.1 only (a real name,
    /// checked against the certificate's DNS entry), else to "127.0.0.1". The nodes' data center should be
    /// `region` (clients keep only peers of the metadata's `local_dc`); `makeCluster` sees to that.
    public convenience init(cluster: MockCluster, databaseID: UUID = UUID(), region: String = "us-east1",
                            token: String = AstraEmulator.makeToken(), extraRegions: [String] = [],
                            keyspace: String = "default_keyspace", host: String? = nil) throws {
        try self.init(cluster: cluster, ownsCluster: false, databaseID: databaseID, region: region, token: token,
                      extraRegions: extraRegions, keyspace: keyspace, host: host)
    }

    /// Creates its own `nodes`-node cluster (credentials "token"/`token`, data center `region`) and shuts it
    /// down on `stop()`.
    public convenience init(nodes: Int, databaseID: UUID = UUID(), region: String = "us-east1",
                            token: String = AstraEmulator.makeToken(), extraRegions: [String] = [],
                            keyspace: String = "default_keyspace", host: String? = nil) throws {
        let cluster = try Self.makeCluster(nodes: nodes, token: token, region: region)
        try self.init(cluster: cluster, ownsCluster: true, databaseID: databaseID, region: region, token: token,
                      extraRegions: extraRegions, keyspace: keyspace, host: host)
    }

    private init(cluster: MockCluster, ownsCluster: Bool, databaseID: UUID, region: String, token: String,
                 extraRegions: [String], keyspace: String, host: String?) throws {
        let host = host ?? Self.loopbackHostName()
        let certificates = try AstraCertificates(host: host)
        let group = try EventLoopGroup(count: 1)
        let loop = group.loops[0]
        let loopback = SocketAddress(ip: "127.0.0.1", port: 0)!
        let serverCertificate = TLSConfiguration.PEMSource.pem(certificates.server.certificatePEM)
        let serverKey = TLSConfiguration.PEMSource.pem(certificates.server.privateKeyPEM)
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("astra-emulator-\(UUID().uuidString.lowercased())")
        do {
            let sniFront = try AstraSNIFront(loop: loop, cluster: cluster, certificates: certificates)
            let sniAddress = "\(host):\(sniFront.address.port)"

            let metadataTLS = try TLSContext(configuration: .server(
                certificateChain: serverCertificate, privateKey: serverKey,
                trustRoots: .certificates(.pem(certificates.caPEM)), requireClientCertificate: true,
                alpnProtocols: ["h2", "http/1.1"]))
            let metadataRouter = AstraMetadataService.router(cluster: cluster, region: region,
                                                             sniAddress: sniAddress, available: metadataSwitch)
            let metadataServer = try HTTPServer(bindTo: loopback, loop: loop, router: metadataRouter, tls: metadataTLS)

            let regions = [region] + extraRegions
            var bundles: [String: Data] = [:]
            for name in regions {
                let config = AstraBundleConfig(
                    host: host, port: metadataServer.address.port, cql_port: sniFront.address.port,
                    keyspace: keyspace, localDC: name, keyStorePassword: Self.randomAlphanumeric(12),
                    trustStorePassword: Self.randomAlphanumeric(12), pfxCertPassword: Self.randomAlphanumeric(12))
                bundles[name] = try AstraBundle.make(config: config, certificates: certificates)
            }

            // The DevOps API is public HTTPS: server certificate only. ALPN offers h2 first, as Astra's does.
            let devOpsTLS = try TLSContext(configuration: .server(
                certificateChain: serverCertificate, privateKey: serverKey, alpnProtocols: ["h2", "http/1.1"]))
            let devOpsBase = SharedValue("")
            let devOpsRouter = AstraDevOpsAPI.router(
                databaseID: databaseID, token: token,
                regions: regions.map { AstraDevOpsAPI.Region(name: $0, bundle: bundles[$0]!) },
                baseURL: { devOpsBase.value })
            let devOpsServer = try HTTPServer(bindTo: loopback, loop: loop, router: devOpsRouter, tls: devOpsTLS)
            devOpsBase.value = "https://127.0.0.1:\(devOpsServer.address.port)"

            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let caFileURL = directory.appendingPathComponent("ca.crt")
            try Data(certificates.caPEM.utf8).write(to: caFileURL)

            try Self.onLoop(loop) {
                try sniFront.start()
                try metadataServer.start()
                try devOpsServer.start()
            }
            self.cluster = cluster
            self.ownsCluster = ownsCluster
            self.databaseID = databaseID
            self.region = region
            self.regions = regions
            self.token = token
            self.host = host
            self.keyspace = keyspace
            self.caPEM = certificates.caPEM
            self.caFileURL = caFileURL
            self.metadataPort = metadataServer.address.port
            self.sniPort = sniFront.address.port
            self.devOpsPort = devOpsServer.address.port
            self.group = group
            self.metadataServer = metadataServer
            self.devOpsServer = devOpsServer
            self.sniFront = sniFront
            self.bundles = bundles
            self.directory = directory
        } catch {
            group.shutdown()
            try? FileManager.default.removeItem(at: directory)
            if ownsCluster { cluster.shutdown() }
            throw error
        }
    }

    deinit { stop() }

    /// Stops every service and the loop (and the cluster, when `init(nodes:)` made it). Idempotent; not on
    /// the emulator's loop.
    public func stop() {
        guard stopped.withLock({ wasStopped in defer { wasStopped = true }; return !wasStopped }) else { return }
        let (sniFront, metadataServer, devOpsServer) = (self.sniFront, self.metadataServer, self.devOpsServer)
        try? Self.onLoop(group.loops[0]) {
            sniFront.stop()
            metadataServer.stop()
            devOpsServer.stop()
        }
        group.shutdown()
        try? FileManager.default.removeItem(at: directory)
        if ownsCluster { cluster.shutdown() }
    }

    // MARK: What clients are given

    /// "https://127.0.0.1:<port>": the DevOps API root (`{api}` in `{api}/v2/databases/...`).
    public var devOpsURL: String { "https://127.0.0.1:\(devOpsPort)" }

    /// "https://<host>:<port>/metadata".
    public var metadataURL: String { "https://\(host):\(metadataPort)/metadata" }

    /// "<host>:<port>" of the SNI front, as the metadata service announces it.
    public var sniProxyAddress: String { "\(host):\(sniPort)" }

    /// The secure-connect bundle of `region` (the primary when nil): config.json, ca.crt, cert, key.
    public func bundleData(region: String? = nil) -> Data {
        bundles[region ?? self.region] ?? Data()
    }

    public func writeBundle(to url: URL, region: String? = nil) throws {
        try bundleData(region: region).write(to: url)
    }

    // MARK: Faults

    /// Off: `GET /metadata` answers 503 (the service is reachable, TLS included, but unavailable).
    public func setMetadataAvailable(_ available: Bool) {
        metadataSwitch.set(available)
    }

    /// Relayed SNI connections open now (handshaking ones included).
    public var sniConnectionCount: Int {
        // Checked under the lock so `stop()` cannot shut the loop down between the check and the hop.
        stopped.withLock { isStopped in
            guard !isStopped else { return 0 }
            let front = sniFront
            return (try? Self.onLoop(group.loops[0]) { front.sessionCount }) ?? 0
        }
    }

    // MARK: Helpers

    /// A cluster as Astra's looks to a client: PasswordAuthenticator with user "token" and the token as
    /// password, every node in data center `region`.
    public static func makeCluster(nodes: Int = 3, token: String, region: String = "us-east1") throws -> MockCluster {
        try MockCluster(nodes: nodes, dataCenter: region, credentials: (user: "token", password: token))
    }

    /// A token shaped like Astra's: "AstraCS:" + 24 letters + ":" + 64 hex digits.
    public static func makeToken() -> String {
        let hex = (0..<64).map { _ in String(Int.random(in: 0..<16), radix: 16) }.joined()
        return "AstraCS:\(randomAlphanumeric(24)):\(hex)"
    }

    static func randomAlphanumeric(_ count: Int) -> String {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in letters.randomElement()! })
    }

    /// "localhost" when it resolves to 127.0.0.1 alone, so both our proxy and the drivers land on the
    /// emulator's sockets whichever address they try first; else the literal address.
    static func loopbackHostName() -> String {
        guard let addresses = try? HostPort(host: "localhost", port: 0).resolve(), !addresses.isEmpty,
              addresses.allSatisfy({ $0.ip == "127.0.0.1" }) else { return "127.0.0.1" }
        return "localhost"
    }

    /// Runs `body` on `loop` and waits for it: setup and teardown are synchronous for callers.
    private static func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () throws -> T) throws -> T {
        precondition(!loop.inEventLoop, "AstraEmulator: called on its own loop")
        let box = SharedValue<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            box.value = Result { try body() }
            done.signal()
        }
        done.wait()
        return try box.value!.get()
    }
}

/// A value read and written from several threads.
final class SharedValue<T: Sendable>: Sendable {
    private let storage: Locked<T>
    init(_ value: T) { storage = Locked(value) }
    var value: T {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
