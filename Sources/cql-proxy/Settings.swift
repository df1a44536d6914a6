import CQLProtocol
import Foundation
import Posix
import Proxy
import Transport
import Upstream

/// Options resolved flag > environment > YAML > default, then checked: a bad value is one clear error
/// naming the option, never a crash later. (The Go proxy let YAML silently override flags; we do not.)
struct Settings {
    var upstream: UpstreamConfig
    var proxy: ProxyConfig
    var workers: Int
    var debug: Bool
    var healthCheck: Bool
    var httpBind: HostPort
    var readinessTimeout: Duration
    var drainTimeout: Duration
    var logFormat: LogFormat
    /// Things worth a warning at startup (e.g. a key file others can read).
    var warnings: [String] = []
    /// Set when the upstream is Astra (bundle, or token + database id): resolved at startup by `AstraSetup`.
    var astra: AstraSettings?

    struct AstraSettings {
        var bundlePath: String?
        var token: String?
        var databaseID: String?
        var apiURL: String
        var timeout: Duration
        var region: String?
    }

    enum LogFormat: String { case text, json }

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(options o: ProxyOptions, environment env: Environment) throws {
        let configPath = o.config ?? env["CONFIG_FILE"]
        let file: ConfigFile
        do {
            file = try configPath.map { try ConfigFile(path: $0) } ?? ConfigFile()
        } catch {
            throw Invalid(description: "\(error)")
        }
        /// The raw text for an option: its flag, else its environment variable, else its YAML key.
        func raw(_ flag: String?, _ key: String, _ envName: String) -> String? {
            flag ?? env[envName] ?? file.values[key].flatMap { $0.isEmpty ? nil : $0 }
        }
        func int(_ flag: String?, _ key: String, _ envName: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = raw(flag, key, envName) else { return fallback }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                throw Invalid(description: "invalid value for --\(key) (\(envName)): \(text) (expected \(range.lowerBound) to \(range.upperBound))")
            }
            return value
        }
        func duration(_ flag: String?, _ key: String, _ envName: String, _ fallback: Duration) throws -> Duration {
            guard let text = raw(flag, key, envName) else { return fallback }
            guard let value = GoDuration.parse(text), value > .zero else {
                throw Invalid(description: "invalid duration for --\(key): \(text) (expected e.g. 10s, 1m30s, 500ms)")
            }
            return value
        }
        func bool(_ flag: Bool?, _ key: String, _ envName: String) throws -> Bool {
            if let flag { return flag }
            guard let text = raw(nil, key, envName)?.lowercased() else { return false }
            switch text {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw Invalid(description: "invalid value for --\(key) (\(envName)): \(text) (expected true or false)")
            }
        }
        func version(_ flag: String?, _ key: String, _ envName: String) throws -> ProtocolVersion {
            guard let text = raw(flag, key, envName) else { return .v4 }
            switch text.lowercased() {
            case "3", "v3": return .v3
            case "4", "v4": return .v4
            default: throw Invalid(description: "unsupported value for --\(key): \(text) (expected 3, v3, 4 or v4)")
            }
        }
        func list(_ flag: String?, _ key: String, _ envName: String) -> [String] {
            (raw(flag, key, envName) ?? "").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        func consistency(_ name: String) throws -> Consistency {
            guard let c = Consistency(name: name) else { throw Invalid(description: "unknown consistency level: \(name)") }
            return c
        }

        let port = try int(o.port, "port", "PORT", 9042, 1...65535)
        var points: [HostPort] = []
        for item in list(o.contactPoints, "contact-points", "CONTACT_POINTS") {
            guard let point = HostPort(parsing: item, defaultPort: port) else {
                throw Invalid(description: "invalid contact point: \(item)")
            }
            points.append(point)
        }
        var username = raw(o.username, "username", "USERNAME")
        var password = raw(o.password, "password", "PASSWORD")
        if (username == nil) != (password == nil) {
            throw Invalid(description: "--username and --password go together")
        }
        // Upstream choice, as the Go proxy: bundle, else token + database id, else contact points.
        let bundle = raw(o.astraBundle, "astra-bundle", "ASTRA_BUNDLE")
        let token = raw(o.astraToken, "astra-token", "ASTRA_TOKEN")
        let databaseID = raw(o.astraDatabaseId, "astra-database-id", "ASTRA_DATABASE_ID")
        if bundle != nil || token != nil || databaseID != nil {
            if bundle == nil && (token == nil || databaseID == nil) {
                throw Invalid(description: "--astra-token and --astra-database-id go together (or give --astra-bundle)")
            }
            if token == nil && username == nil {
                throw Invalid(description: "--astra-bundle needs --astra-token, or --username and --password (client id and secret)")
            }
            if let token, username == nil {
                // Astra's application tokens log in as the literal user "token".
                username = "token"
                password = token
            }
            astra = AstraSettings(
                bundlePath: bundle, token: token, databaseID: databaseID,
                apiURL: raw(o.astraApiUrl, "astra-api-url", "ASTRA_API_URL") ?? "https://api.astra.datastax.com",
                timeout: try duration(o.astraTimeout, "astra-timeout", "ASTRA_TIMEOUT", .seconds(10)),
                region: raw(o.astraRegion, "astra-region", "ASTRA_REGION"))
        } else if points.isEmpty {
            throw Invalid(description: "no upstream: set --astra-bundle, --astra-token with --astra-database-id, or --contact-points; try `cql-proxy demo` to run against a built-in cluster")
        }
        let bindText = raw(o.bind, "bind", "BIND") ?? ":9042"
        guard let bind = HostPort(parsing: bindText, defaultPort: 9042) else { throw Invalid(description: "invalid --bind: \(bindText)") }
        let httpText = raw(o.httpBind, "http-bind", "HTTP_BIND") ?? ":8000"
        guard let httpBind = HostPort(parsing: httpText, defaultPort: 8000) else { throw Invalid(description: "invalid --http-bind: \(httpText)") }
        let maxFrame = try int(o.maxFrameSize, "max-frame-size", "MAX_FRAME_SIZE", FrameHeader.defaultMaxBodyLength,
                               1024...FrameHeader.defaultMaxBodyLength)
        let heartbeat = try duration(o.heartbeatInterval, "heartbeat-interval", "HEARTBEAT_INTERVAL", .seconds(30))
        let idle = try duration(o.idleTimeout, "idle-timeout", "IDLE_TIMEOUT", .seconds(60))
        guard idle > heartbeat else {
            throw Invalid(description: "--idle-timeout (\(idle)) must be longer than --heartbeat-interval (\(heartbeat))")
        }
        var warnings: [String] = []
        func checkPrivate(_ path: String?) {
            guard let path, let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let mode = attributes[.posixPermissions] as? Int, mode & 0o044 != 0 else { return }
            warnings.append("\(path) is readable by other users (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        func tlsContext(_ configuration: TLSConfiguration, _ what: String) throws -> TLSContext {
            do {
                return try TLSContext(configuration: configuration)
            } catch {
                throw Invalid(description: "\(what): \(error)")
            }
        }
        var upstreamTLS: UpstreamTLS?
        let clusterCA = raw(o.clusterCaFile, "cluster-ca-file", "CLUSTER_CA_FILE")
        let clusterCert = raw(o.clusterCertFile, "cluster-cert-file", "CLUSTER_CERT_FILE")
        let clusterKey = raw(o.clusterKeyFile, "cluster-key-file", "CLUSTER_KEY_FILE")
        if (clusterCert == nil) != (clusterKey == nil) { throw Invalid(description: "--cluster-cert-file and --cluster-key-file go together") }
        if clusterCA != nil || clusterCert != nil {
            checkPrivate(clusterKey)
            let serverName = raw(o.clusterServerName, "cluster-server-name", "CLUSTER_SERVER_NAME")
            let configuration = TLSConfiguration.client(
                trustRoots: clusterCA.map { .certificates(.file($0)) } ?? .system,
                serverName: serverName, expectedHostName: serverName ?? points.first?.host,
                certificateChain: clusterCert.map { .file($0) }, privateKey: clusterKey.map { .file($0) })
            upstreamTLS = UpstreamTLS(context: try tlsContext(configuration, "cluster TLS"), expectedHostName: serverName ?? points.first?.host)
        }
        var clientTLS: TLSContext?
        let proxyCert = raw(o.proxyCertFile, "proxy-cert-file", "PROXY_CERT_FILE")
        let proxyKey = raw(o.proxyKeyFile, "proxy-key-file", "PROXY_KEY_FILE")
        if (proxyCert == nil) != (proxyKey == nil) { throw Invalid(description: "--proxy-cert-file and --proxy-key-file go together") }
        if let proxyCert, let proxyKey {
            checkPrivate(proxyKey)
            clientTLS = try tlsContext(.server(certificateChain: .file(proxyCert), privateKey: .file(proxyKey)), "client TLS")
        }
        upstream = UpstreamConfig(
            contactPoints: points, port: port,
            credentials: username.map { Credentials(username: $0, password: password ?? "") },
            protocolVersion: try version(o.protocolVersion, "protocol-version", "PROTOCOL_VERSION"),
            connectTimeout: try duration(o.connectTimeout, "connect-timeout", "CONNECT_TIMEOUT", .seconds(10)),
            heartbeatInterval: heartbeat, idleTimeout: idle,
            connectionsPerHost: try int(o.numConns, "num-conns", "NUM_CONNS", 1, 1...64),
            maxFrameBodyLength: maxFrame,
            requestTimeout: try duration(o.requestTimeout, "request-timeout", "REQUEST_TIMEOUT", .seconds(30)),
            tls: upstreamTLS,
            preparedCacheSize: try int(o.preparedCacheSize, "prepared-cache-size", "PREPARED_CACHE_SIZE", 10_000, 1...10_000_000))

        let unsupported = try list(o.unsupportedWriteConsistencies, "unsupported-write-consistencies", "UNSUPPORTED_WRITE_CONSISTENCIES")
            .map(consistency)
        let override = try consistency(raw(o.unsupportedWriteConsistencyOverride, "unsupported-write-consistency-override",
                                           "UNSUPPORTED_WRITE_CONSISTENCY_OVERRIDE") ?? "LOCAL_QUORUM")
        let clientUser = raw(o.clientUsername, "client-username", "CLIENT_USERNAME")
        let clientPassword = raw(o.clientPassword, "client-password", "CLIENT_PASSWORD")
        if (clientUser == nil) != (clientPassword == nil) {
            throw Invalid(description: "--client-username and --client-password go together")
        }
        let tokens = list(o.tokens, "tokens", "TOKENS")
        var peers: [PeerProxy] = []
        for entry in file.peers {
            guard let address = entry["rpc-address"].flatMap(ConfigFile.text) else {
                throw Invalid(description: "config file: every peer needs an rpc-address")
            }
            let peerTokens = entry["tokens"].flatMap(ConfigFile.text).map { $0.split(separator: ",").map(String.init) }
            peers.append(PeerProxy(rpcAddress: address, dataCenter: entry["data-center"].flatMap(ConfigFile.text), tokens: peerTokens))
        }
        proxy = ProxyConfig(
            bind: bind, maxProtocolVersion: try version(o.maxProtocolVersion, "max-protocol-version", "MAX_PROTOCOL_VERSION"),
            rpcAddress: raw(o.rpcAddress, "rpc-address", "RPC_ADDRESS"), dataCenter: raw(o.dataCenter, "data-center", "DATA_CENTER"),
            tokens: tokens.isEmpty ? nil : tokens, peers: peers, maxFrameBodyLength: maxFrame,
            unsupportedWriteConsistencies: Set(unsupported), writeConsistencyOverride: override,
            clientCredentials: clientUser.map { Credentials(username: $0, password: clientPassword ?? "") },
            clientTLS: clientTLS,
            clientHandshakeTimeout: try duration(o.clientHandshakeTimeout, "client-handshake-timeout", "CLIENT_HANDSHAKE_TIMEOUT", .seconds(10)),
            idempotentGraph: try bool(o.idempotentGraph, "idempotent-graph", "IDEMPOTENT_GRAPH"),
            maxClientConnections: try int(o.maxClientConnections, "max-client-connections", "MAX_CLIENT_CONNECTIONS", 65_536, 1...10_000_000),
            maxInFlightPerClient: try int(o.maxInFlightPerClient, "max-in-flight-per-client", "MAX_IN_FLIGHT_PER_CLIENT", 32_768, 1...32_768),
            clientIdleTimeout: try raw(o.clientIdleTimeout, "client-idle-timeout", "CLIENT_IDLE_TIMEOUT").flatMap { text in
                guard let value = GoDuration.parse(text), value >= .zero else {
                    throw Invalid(description: "invalid duration for --client-idle-timeout: \(text) (expected e.g. 5m, or 0 for never)")
                }
                return value == .zero ? nil : value
            })
        self.warnings = warnings
        workers = try int(o.workers, "workers", "WORKERS", ProcessInfo.processInfo.activeProcessorCount, 1...256)
        debug = try bool(o.debug, "debug", "DEBUG")
        healthCheck = try bool(o.healthCheck, "health-check", "HEALTH_CHECK")
        self.httpBind = httpBind
        readinessTimeout = try duration(o.readinessTimeout, "readiness-timeout", "READINESS_TIMEOUT", .seconds(30))
        drainTimeout = try duration(o.drainTimeout, "drain-timeout", "DRAIN_TIMEOUT", .seconds(10))
        let format = raw(o.logFormat, "log-format", "LOG_FORMAT") ?? "text"
        guard let logFormat = LogFormat(rawValue: format.lowercased()) else {
            throw Invalid(description: "invalid --log-format: \(format) (expected text or json)")
        }
        self.logFormat = logFormat
    }
}
