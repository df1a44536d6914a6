import CQLProtocol
import Foundation
import Posix
import Proxy
import Upstream

/// Options resolved from flags, then environment, then defaults, and checked: a bad value is one clear
/// error naming the option, never a crash later.
struct Settings {
    var upstream: UpstreamConfig
    var proxy: ProxyConfig
    var workers: Int
    var debug: Bool

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(options o: ProxyOptions, environment env: Environment) throws {
        func pick<T>(_ flag: T?, _ name: String, _ parse: (String) -> T?) throws -> T? {
            if let flag { return flag }
            guard let raw = env[name] else { return nil }
            guard let value = parse(raw) else { throw Invalid(description: "invalid value for \(name): \(raw)") }
            return value
        }
        func duration(_ flag: String?, _ option: String, _ name: String, _ fallback: Duration) throws -> Duration {
            guard let text = flag ?? env[name] else { return fallback }
            guard let value = GoDuration.parse(text), value > .zero else {
                throw Invalid(description: "invalid duration for --\(option): \(text) (expected e.g. 10s, 1m30s, 500ms)")
            }
            return value
        }
        func version(_ flag: String?, _ option: String, _ name: String) throws -> ProtocolVersion {
            guard let text = flag ?? env[name] else { return .v4 }
            switch text.lowercased() {
            case "3", "v3": return .v3
            case "4", "v4": return .v4
            default: throw Invalid(description: "unsupported value for --\(option): \(text) (expected 3, v3, 4 or v4)")
            }
        }

        let port = try pick(o.port, "PORT", { Int($0) }) ?? 9042
        guard (1...65535).contains(port) else { throw Invalid(description: "invalid --port: \(port)") }
        let pointsText = o.contactPoints ?? env["CONTACT_POINTS"] ?? ""
        var points: [HostPort] = []
        for item in pointsText.split(separator: ",") where !item.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let point = HostPort(parsing: String(item), defaultPort: port) else {
                throw Invalid(description: "invalid contact point: \(item)")
            }
            points.append(point)
        }
        guard !points.isEmpty else {
            throw Invalid(description: "no upstream: set --contact-points (or CONTACT_POINTS); try `cql-proxy demo` to run against a built-in cluster")
        }
        let username = o.username ?? env["USERNAME"]
        let password = o.password ?? env["PASSWORD"]
        if (username == nil) != (password == nil) {
            throw Invalid(description: "--username and --password go together")
        }
        let bindText = o.bind ?? env["BIND"] ?? ":9042"
        guard let bind = HostPort(parsing: bindText, defaultPort: 9042) else {
            throw Invalid(description: "invalid --bind: \(bindText)")
        }
        let numConns = try pick(o.numConns, "NUM_CONNS", { Int($0) }) ?? 1
        guard (1...64).contains(numConns) else { throw Invalid(description: "invalid --num-conns: \(numConns) (1 to 64)") }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let workers = try pick(o.workers, "WORKERS", { Int($0) }) ?? cores
        guard (1...256).contains(workers) else { throw Invalid(description: "invalid --workers: \(workers)") }
        let maxFrame = try pick(o.maxFrameSize, "MAX_FRAME_SIZE", { Int($0) }) ?? FrameHeader.defaultMaxBodyLength
        guard (1024...FrameHeader.defaultMaxBodyLength).contains(maxFrame) else {
            throw Invalid(description: "invalid --max-frame-size: \(maxFrame) (1024 to \(FrameHeader.defaultMaxBodyLength))")
        }
        let heartbeat = try duration(o.heartbeatInterval, "heartbeat-interval", "HEARTBEAT_INTERVAL", .seconds(30))
        let idle = try duration(o.idleTimeout, "idle-timeout", "IDLE_TIMEOUT", .seconds(60))
        guard idle > heartbeat else {
            throw Invalid(description: "--idle-timeout (\(idle)) must be longer than --heartbeat-interval (\(heartbeat))")
        }
        upstream = UpstreamConfig(
            contactPoints: points, port: port,
            credentials: username.map { Credentials(username: $0, password: password ?? "") },
            protocolVersion: try version(o.protocolVersion, "protocol-version", "PROTOCOL_VERSION"),
            connectTimeout: try duration(o.connectTimeout, "connect-timeout", "CONNECT_TIMEOUT", .seconds(10)),
            heartbeatInterval: heartbeat, idleTimeout: idle, connectionsPerHost: numConns,
            maxFrameBodyLength: maxFrame)
        func consistency(_ name: String) throws -> Consistency {
            guard let c = Consistency(name: name.trimmingCharacters(in: .whitespaces)) else {
                throw Invalid(description: "unknown consistency level: \(name)")
            }
            return c
        }
        let unsupported = try (o.unsupportedWriteConsistencies ?? env["UNSUPPORTED_WRITE_CONSISTENCIES"] ?? "")
            .split(separator: ",").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { try consistency(String($0)) }
        let override = try consistency(o.unsupportedWriteConsistencyOverride ?? env["UNSUPPORTED_WRITE_CONSISTENCY_OVERRIDE"] ?? "LOCAL_QUORUM")
        let clientUser = o.clientUsername ?? env["CLIENT_USERNAME"]
        let clientPassword = o.clientPassword ?? env["CLIENT_PASSWORD"]
        if (clientUser == nil) != (clientPassword == nil) {
            throw Invalid(description: "--client-username and --client-password go together")
        }
        let tokens = (o.tokens ?? env["TOKENS"]).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        proxy = ProxyConfig(
            bind: bind, maxProtocolVersion: try version(o.maxProtocolVersion, "max-protocol-version", "MAX_PROTOCOL_VERSION"),
            rpcAddress: o.rpcAddress ?? env["RPC_ADDRESS"], dataCenter: o.dataCenter ?? env["DATA_CENTER"],
            tokens: tokens, maxFrameBodyLength: maxFrame, unsupportedWriteConsistencies: Set(unsupported),
            writeConsistencyOverride: override,
            clientCredentials: clientUser.map { Credentials(username: $0, password: clientPassword ?? "") })
        self.workers = workers
        debug = o.debug || env.bool("DEBUG")
    }
}
