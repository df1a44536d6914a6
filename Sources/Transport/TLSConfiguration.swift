/// What a `TLSContext` is built from. A plain value: build it, tweak it, hand it to `TLSContext`.
public struct TLSConfiguration: Sendable {
    public enum Role: Sendable { case client, server }

    /// PEM text held in memory, or a file holding PEM.
    public enum PEMSource: Sendable {
        case pem(String)
        case file(String)
    }

    /// Whom to trust when verifying the peer.
    public enum TrustRoots: Sendable {
        /// OpenSSL's default verify paths (honours `SSL_CERT_FILE` / `SSL_CERT_DIR`).
        case system
        /// Only these CA certificates (one or more PEM blocks).
        case certificates(PEMSource)
    }

    /// A server's answer to the name a client asked for (SNI).
    public enum ServerNameDecision: Sendable { case accept, reject }

    public var role: Role
    /// Leaf certificate first, then intermediates.
    public var certificateChain: PEMSource?
    public var privateKey: PEMSource?
    public var trustRoots: TrustRoots
    /// Client: verify the server's chain and name (on by default; turning it off must be written out).
    /// Server: ask for a client certificate and verify it when one is sent.
    public var verifyPeer: Bool
    /// Server only: refuse clients without a valid certificate (mutual TLS). Implies `verifyPeer`.
    public var requireClientCertificate: Bool
    /// Client: the SNI name sent in the ClientHello. Not sent when it is an IP address.
    public var serverName: String?
    /// Client: the name (or IP) the server certificate must carry. Defaults to `serverName`; differs from it
    /// for Astra, where SNI is a host id and the certificate names the metadata host.
    public var expectedHostName: String?
    /// ALPN: the client offers these in order; the server picks the first of its own list the client offered.
    public var alpnProtocols: [String]
    /// Server only: sees the name each client asks for, during the handshake, on the connection's loop.
    /// `.reject` ends the handshake with an `unrecognized_name` alert.
    public var serverNameHandler: (@Sendable (String?) -> ServerNameDecision)?

    public init(role: Role, certificateChain: PEMSource? = nil, privateKey: PEMSource? = nil,
                trustRoots: TrustRoots = .system, verifyPeer: Bool? = nil, requireClientCertificate: Bool = false,
                serverName: String? = nil, expectedHostName: String? = nil, alpnProtocols: [String] = [],
                serverNameHandler: (@Sendable (String?) -> ServerNameDecision)? = nil) {
        self.role = role
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.trustRoots = trustRoots
        self.verifyPeer = verifyPeer ?? (role == .client)
        self.requireClientCertificate = requireClientCertificate
        self.serverName = serverName
        self.expectedHostName = expectedHostName
        self.alpnProtocols = alpnProtocols
        self.serverNameHandler = serverNameHandler
    }

    public static func client(trustRoots: TrustRoots = .system, serverName: String? = nil,
                              expectedHostName: String? = nil, certificateChain: PEMSource? = nil,
                              privateKey: PEMSource? = nil, alpnProtocols: [String] = []) -> TLSConfiguration {
        TLSConfiguration(role: .client, certificateChain: certificateChain, privateKey: privateKey,
                         trustRoots: trustRoots, serverName: serverName, expectedHostName: expectedHostName,
                         alpnProtocols: alpnProtocols)
    }

    public static func server(certificateChain: PEMSource, privateKey: PEMSource,
                              trustRoots: TrustRoots = .system, requireClientCertificate: Bool = false,
                              alpnProtocols: [String] = [],
                              serverNameHandler: (@Sendable (String?) -> ServerNameDecision)? = nil) -> TLSConfiguration {
        TLSConfiguration(role: .server, certificateChain: certificateChain, privateKey: privateKey,
                         trustRoots: trustRoots, requireClientCertificate: requireClientCertificate,
                         alpnProtocols: alpnProtocols, serverNameHandler: serverNameHandler)
    }
}
