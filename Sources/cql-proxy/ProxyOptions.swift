import ArgumentParser

/// The Go proxy's flags, by the same names, plus ours. Every option may also come from its environment
/// variable (shown in --help) or from the YAML file's key of the same name as the long flag.
/// Precedence: flag > environment > YAML > default. Values stay text here; `Settings` parses and checks them.
struct ProxyOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .long], help: "YAML file with the same keys as the long flags (env: CONFIG_FILE).")
    var config: String?

    @Option(name: [.customShort("b"), .long], help: "Astra secure-connect bundle (zip); needs --username/--password or --astra-token (env: ASTRA_BUNDLE).")
    var astraBundle: String?

    @Option(name: [.customShort("t"), .long], help: "Astra token (AstraCS:...); with --astra-database-id the bundle is downloaded (env: ASTRA_TOKEN).")
    var astraToken: String?

    @Option(name: [.customShort("i"), .long], help: "Astra database id (env: ASTRA_DATABASE_ID).")
    var astraDatabaseId: String?

    @Option(name: .long, help: "Astra DevOps API base URL (env: ASTRA_API_URL; default https://api.astra.datastax.com).")
    var astraApiUrl: String?

    @Option(name: .long, help: "Timeout for the bundle download and metadata calls (env: ASTRA_TIMEOUT; default 10s).")
    var astraTimeout: String?

    @Option(name: .long, help: "Astra region (datacenter) to use; default: the first the API lists (env: ASTRA_REGION).")
    var astraRegion: String?

    @Option(name: [.customShort("c"), .long], help: "Plain Cassandra contact points, comma separated (env: CONTACT_POINTS).")
    var contactPoints: String?

    @Option(name: [.customShort("u"), .long], help: "Upstream username (env: USERNAME).")
    var username: String?

    @Option(name: [.customShort("p"), .long], help: "Upstream password (env: PASSWORD).")
    var password: String?

    @Option(name: [.customShort("r"), .long], help: "Default upstream port for contact points and peers (env: PORT; default 9042).")
    var port: String?

    @Option(name: [.customShort("n"), .long], help: "First protocol version tried upstream: 3 or 4 (env: PROTOCOL_VERSION; default v4).")
    var protocolVersion: String?

    @Option(name: [.customShort("m"), .long], help: "Highest protocol version accepted from clients (env: MAX_PROTOCOL_VERSION; default v4).")
    var maxProtocolVersion: String?

    @Option(name: [.customShort("a"), .long], help: "CQL listen address; a bare IP gets :9042 (env: BIND; default :9042).")
    var bind: String?

    @Option(name: .long, help: "Connections per upstream node, per worker (env: NUM_CONNS; default 1).")
    var numConns: String?

    @Option(name: .long, help: "Event-loop threads (env: WORKERS; default: number of cores).")
    var workers: String?

    @Option(name: .long, help: "Dial + handshake timeout, Go duration (env: CONNECT_TIMEOUT; default 10s).")
    var connectTimeout: String?

    @Option(name: .long, help: "Heartbeat interval on upstream connections (env: HEARTBEAT_INTERVAL; default 30s).")
    var heartbeatInterval: String?

    @Option(name: .long, help: "Close an upstream connection silent for this long (env: IDLE_TIMEOUT; default 60s).")
    var idleTimeout: String?

    @Option(name: .long, help: "A request unanswered this long fails, or is retried when idempotent (env: REQUEST_TIMEOUT; default 30s).")
    var requestTimeout: String?

    @Option(name: .long, help: "Address advertised in system.local (env: RPC_ADDRESS; default: the client's local address).")
    var rpcAddress: String?

    @Option(name: .long, help: "Data center advertised in system tables (env: DATA_CENTER; default: upstream's).")
    var dataCenter: String?

    @Option(name: .long, help: "Tokens advertised in system tables, comma separated (env: TOKENS; default: computed).")
    var tokens: String?

    @Option(name: .long, help: "Largest accepted frame body in bytes (env: MAX_FRAME_SIZE; default 268435456).")
    var maxFrameSize: String?

    @Option(name: .long, help: "Write consistencies the cluster refuses, comma separated, e.g. ANY,ONE,LOCAL_ONE (env: UNSUPPORTED_WRITE_CONSISTENCIES).")
    var unsupportedWriteConsistencies: String?

    @Option(name: .long, help: "What those writes are sent at (env: UNSUPPORTED_WRITE_CONSISTENCY_OVERRIDE; default LOCAL_QUORUM).")
    var unsupportedWriteConsistencyOverride: String?

    @Option(name: .long, help: "Require clients to log in with this user name (env: CLIENT_USERNAME).")
    var clientUsername: String?

    @Option(name: .long, help: "...and this password (env: CLIENT_PASSWORD).")
    var clientPassword: String?

    @Option(name: .long, help: "TLS certificate (PEM) for clients of the proxy (env: PROXY_CERT_FILE).")
    var proxyCertFile: String?

    @Option(name: .long, help: "TLS private key (PEM) for clients of the proxy (env: PROXY_KEY_FILE).")
    var proxyKeyFile: String?

    @Option(name: .long, help: "CA (PEM) to verify a plain Cassandra cluster's TLS certificates; enables TLS upstream (env: CLUSTER_CA_FILE).")
    var clusterCaFile: String?

    @Option(name: .long, help: "Client certificate (PEM) for the cluster's mutual TLS (env: CLUSTER_CERT_FILE).")
    var clusterCertFile: String?

    @Option(name: .long, help: "Client key (PEM) for the cluster's mutual TLS (env: CLUSTER_KEY_FILE).")
    var clusterKeyFile: String?

    @Option(name: .long, help: "Host name the cluster's certificates must carry (env: CLUSTER_SERVER_NAME; default: the contact point's name).")
    var clusterServerName: String?

    @Option(name: .long, help: "Prepared statements remembered for transparent re-preparing (env: PREPARED_CACHE_SIZE; default 10000).")
    var preparedCacheSize: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "Treat DSE graph requests as idempotent (env: IDEMPOTENT_GRAPH).")
    var idempotentGraph: Bool?

    @Option(name: .long, help: "Client connections accepted at once; more are closed (env: MAX_CLIENT_CONNECTIONS; default 65536).")
    var maxClientConnections: String?

    @Option(name: .long, help: "Unanswered requests per client before OVERLOADED (env: MAX_IN_FLIGHT_PER_CLIENT; default 32768).")
    var maxInFlightPerClient: String?

    @Option(name: .long, help: "Close a client silent this long; 0 = never (env: CLIENT_IDLE_TIMEOUT; default 0).")
    var clientIdleTimeout: String?

    @Option(name: .long, help: "TLS handshake time allowed to clients (env: CLIENT_HANDSHAKE_TIMEOUT; default 10s).")
    var clientHandshakeTimeout: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "Serve /liveness, /readiness and /metrics over HTTP (env: HEALTH_CHECK).")
    var healthCheck: Bool?

    @Option(name: .long, help: "Health HTTP address; a bare IP gets :8000 (env: HTTP_BIND; default :8000).")
    var httpBind: String?

    @Option(name: .long, help: "Upstream outage after which readiness fails (env: READINESS_TIMEOUT; default 30s).")
    var readinessTimeout: String?

    @Option(name: .long, help: "On SIGTERM/SIGINT, how long in-flight requests may take to finish (env: DRAIN_TIMEOUT; default 10s).")
    var drainTimeout: String?

    @Option(name: .long, help: "Log lines as text or json (env: LOG_FORMAT; default text).")
    var logFormat: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "Debug logging (env: DEBUG).")
    var debug: Bool?
}
