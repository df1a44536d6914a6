import CQLProtocol
import Foundation
import Posix
import Transport
import Upstream

/// A peer proxy advertised in system.peers (YAML `peers:`), so drivers spread load over several proxies.
public struct PeerProxy: Sendable, Hashable {
    public var rpcAddress: String
    public var dataCenter: String?
    public var tokens: [String]?
    public init(rpcAddress: String, dataCenter: String? = nil, tokens: [String]? = nil) {
        self.rpcAddress = rpcAddress
        self.dataCenter = dataCenter
        self.tokens = tokens
    }
}

public struct ProxyConfig: Sendable {
    public var bind: HostPort
    /// Highest version accepted from clients; a higher one is refused so the driver downgrades.
    public var maxProtocolVersion: ProtocolVersion
    /// Address advertised in system.local; nil: the local address of the client's socket.
    public var rpcAddress: String?
    /// Data center advertised; nil: the upstream's local data center.
    public var dataCenter: String?
    /// Tokens advertised; nil: computed from this proxy's place among `peers`.
    public var tokens: [String]?
    public var peers: [PeerProxy]
    public var maxFrameBodyLength: Int
    /// Write consistencies the cluster refuses; writes at these levels are sent at `writeConsistencyOverride`.
    public var unsupportedWriteConsistencies: Set<Consistency>
    public var writeConsistencyOverride: Consistency
    /// When set, clients must log in with these (SASL PLAIN, as PasswordAuthenticator).
    public var clientCredentials: Credentials?
    /// When set, clients connect with TLS (--proxy-cert-file / --proxy-key-file).
    public var clientTLS: TLSContext?
    public var clientHandshakeTimeout: Duration
    /// --idempotent-graph: DSE graph queries (custom payload `graph-language`) may be retried.
    public var idempotentGraph: Bool
    /// Limits: clients beyond `maxClientConnections` are closed at once; a client with
    /// `maxInFlightPerClient` requests unanswered gets OVERLOADED; a client silent for `clientIdleTimeout`
    /// (nil: never) is closed.
    public var maxClientConnections: Int
    public var maxInFlightPerClient: Int
    public var clientIdleTimeout: Duration?

    public init(bind: HostPort = HostPort(host: "0.0.0.0", port: 9042), maxProtocolVersion: ProtocolVersion = .v4,
                rpcAddress: String? = nil, dataCenter: String? = nil, tokens: [String]? = nil,
                peers: [PeerProxy] = [], maxFrameBodyLength: Int = FrameHeader.defaultMaxBodyLength,
                unsupportedWriteConsistencies: Set<Consistency> = [], writeConsistencyOverride: Consistency = .localQuorum,
                clientCredentials: Credentials? = nil, clientTLS: TLSContext? = nil,
                clientHandshakeTimeout: Duration = .seconds(10), idempotentGraph: Bool = false,
                maxClientConnections: Int = 65_536, maxInFlightPerClient: Int = 32_768, clientIdleTimeout: Duration? = nil) {
        self.bind = bind
        self.maxProtocolVersion = maxProtocolVersion
        self.rpcAddress = rpcAddress
        self.dataCenter = dataCenter
        self.tokens = tokens
        self.peers = peers
        self.maxFrameBodyLength = maxFrameBodyLength
        self.unsupportedWriteConsistencies = unsupportedWriteConsistencies
        self.writeConsistencyOverride = writeConsistencyOverride
        self.clientCredentials = clientCredentials
        self.clientTLS = clientTLS
        self.clientHandshakeTimeout = clientHandshakeTimeout
        self.idempotentGraph = idempotentGraph
        self.maxClientConnections = maxClientConnections
        self.maxInFlightPerClient = maxInFlightPerClient
        self.clientIdleTimeout = clientIdleTimeout
    }
}
