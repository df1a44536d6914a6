import CQLProtocol
import Posix
import Transport

/// Credentials for the upstream cluster. Never printed: `description` hides the secret.
public struct Credentials: Sendable, Hashable, CustomStringConvertible {
    public var username: String
    public var password: String
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
    public var description: String { "Credentials(username: \(username), password: <redacted>)" }
}

public struct UpstreamConfig: Sendable {
    public var contactPoints: [HostPort]
    /// Port for peers learned from system.peers (and contact points given without one).
    public var port: Int
    public var credentials: Credentials?
    /// First version tried upstream; lowered on a protocol-version error.
    public var protocolVersion: ProtocolVersion
    public var connectTimeout: Duration
    public var heartbeatInterval: Duration
    public var idleTimeout: Duration
    public var connectionsPerHost: Int
    public var maxFrameBodyLength: Int
    public var reconnectBase: Duration
    public var reconnectMax: Duration
    /// A request unanswered this long fails (or is retried elsewhere when idempotent): none waits forever.
    public var requestTimeout: Duration
    /// Statements a new connection prepares before it takes traffic (most recently used first).
    public var preparedWarmup: Int
    /// How contact points and peers become endpoints (DNS + rpc_address, or Astra's metadata + SNI).
    public var resolver: EndpointResolver
    /// TLS towards the nodes; nil for plain TCP.
    public var tls: UpstreamTLS?
    /// Bound of the prepared-statement cache.
    public var preparedCacheSize: Int

    public init(
        contactPoints: [HostPort], port: Int = 9042, credentials: Credentials? = nil,
        protocolVersion: ProtocolVersion = .v4, connectTimeout: Duration = .seconds(10),
        heartbeatInterval: Duration = .seconds(30), idleTimeout: Duration = .seconds(60),
        connectionsPerHost: Int = 1, maxFrameBodyLength: Int = FrameHeader.defaultMaxBodyLength,
        reconnectBase: Duration = .milliseconds(100), reconnectMax: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(30), preparedWarmup: Int = 1000,
        resolver: EndpointResolver? = nil, tls: UpstreamTLS? = nil, preparedCacheSize: Int = 10_000
    ) {
        self.contactPoints = contactPoints
        self.port = port
        self.credentials = credentials
        self.protocolVersion = protocolVersion
        self.connectTimeout = connectTimeout
        self.heartbeatInterval = heartbeatInterval
        self.idleTimeout = idleTimeout
        self.connectionsPerHost = connectionsPerHost
        self.maxFrameBodyLength = maxFrameBodyLength
        self.reconnectBase = reconnectBase
        self.reconnectMax = reconnectMax
        self.requestTimeout = requestTimeout
        self.preparedWarmup = preparedWarmup
        self.resolver = resolver ?? ContactPointResolver(contactPoints: contactPoints, port: port)
        self.tls = tls
        self.preparedCacheSize = preparedCacheSize
    }
}
