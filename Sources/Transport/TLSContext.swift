import COpenSSL
import Glibc
import Posix

/// An `SSL_CTX` built once from a `TLSConfiguration`: certificates, key, trust store, verification, ALPN
/// and the SNI hook. Every `TLSConnection` made from it shares it.
///
/// Thread-safety: after `init` the context is never mutated. OpenSSL allows `SSL_new` on one `SSL_CTX` from
/// many threads at once (its reference counts and session cache take their own locks), and our callbacks
/// read only immutable state, so one context may be shared by every loop.
public final class TLSContext: @unchecked Sendable {
    public let configuration: TLSConfiguration
    let raw: OpaquePointer
    /// The server's ALPN list in wire format; the select callback hands OpenSSL pointers into it.
    private let alpnWire: UnsafeMutableBufferPointer<UInt8>

    public init(configuration: TLSConfiguration) throws(TLSError) {
        self.configuration = configuration
        OpenSSLSetup.once()
        ERR_clear_error()
        let method = configuration.role == .client ? TLS_client_method() : TLS_server_method()
        guard let ctx = SSL_CTX_new(method) else {
            throw .invalidConfiguration(OpenSSLErrors.describe("SSL_CTX_new"))
        }
        let wire = Self.alpnWireFormat(configuration.alpnProtocols)
        do {
            try Self.configure(ctx, configuration, alpnWire: wire)
        } catch {
            SSL_CTX_free(ctx)
            throw error
        }
        raw = ctx
        alpnWire = UnsafeMutableBufferPointer.allocate(capacity: max(wire.count, 1))
        _ = alpnWire.initialize(from: wire)
        installCallbacks()
    }

    deinit {
        SSL_CTX_free(raw)
        alpnWire.deallocate()
    }

    // MARK: Building the SSL_CTX

    private static func configure(_ ctx: OpaquePointer, _ config: TLSConfiguration, alpnWire: [UInt8]) throws(TLSError) {
        guard copenssl_ctx_set_min_tls12(ctx) == 1 else {
            throw .invalidConfiguration(OpenSSLErrors.describe("minimum version TLS 1.2"))
        }
        _ = copenssl_ctx_set_mode(ctx, copenssl_default_modes())
        copenssl_ctx_set_read_ahead(ctx)
        _ = SSL_CTX_set_options(ctx, copenssl_op_ignore_unexpected_eof() | copenssl_op_no_renegotiation())

        switch (config.certificateChain, config.privateKey) {
        case (let chain?, let key?):
            try useCertificateChain(ctx, try load(chain, what: "certificateChain"))
            try usePrivateKey(ctx, try load(key, what: "privateKey"))
            guard SSL_CTX_check_private_key(ctx) == 1 else {
                throw .invalidConfiguration(OpenSSLErrors.describe("privateKey does not match certificateChain"))
            }
        case (nil, nil):
            if config.role == .server { throw .invalidConfiguration("a server needs certificateChain and privateKey") }
        case (.some, nil):
            throw .invalidConfiguration("certificateChain given without privateKey")
        case (nil, .some):
            throw .invalidConfiguration("privateKey given without certificateChain")
        }

        let verifying = config.verifyPeer || (config.role == .server && config.requireClientCertificate)
        if verifying { try loadTrustRoots(ctx, config.trustRoots) }
        var mode = verifying ? SSL_VERIFY_PEER : SSL_VERIFY_NONE
        if config.role == .server && config.requireClientCertificate { mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT }
        SSL_CTX_set_verify(ctx, mode, nil)

        if config.role == .client && !alpnWire.isEmpty {
            // Inverted convention: 0 is success here.
            let rc = alpnWire.withUnsafeBufferPointer { SSL_CTX_set_alpn_protos(ctx, $0.baseAddress, UInt32($0.count)) }
            guard rc == 0 else { throw .invalidConfiguration(OpenSSLErrors.describe("alpnProtocols")) }
        }
    }

    private static func alpnWireFormat(_ protocols: [String]) -> [UInt8] {
        var wire: [UInt8] = []
        for name in protocols {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else { continue }
            wire.append(UInt8(bytes.count))
            wire.append(contentsOf: bytes)
        }
        return wire
    }

    private static func load(_ source: TLSConfiguration.PEMSource, what: String) throws(TLSError) -> [UInt8] {
        switch source {
        case .pem(let text): return Array(text.utf8)
        case .file(let path): return try readFile(path, what: what)
        }
    }

    private static func readFile(_ path: String, what: String) throws(TLSError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .invalidConfiguration("\(what): cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return bytes }
            if n < 0 {
                if errno == EINTR { continue }
                throw .invalidConfiguration("\(what): cannot read \(path): \(String(cString: strerror(errno)))")
            }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// Every certificate in PEM text, in order. The caller frees them.
    static func parseCertificates(_ pem: [UInt8], what: String) throws(TLSError) -> [OpaquePointer] {
        let bio = pem.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        guard let bio else { throw .invalidConfiguration(OpenSSLErrors.describe("\(what): BIO_new_mem_buf")) }
        defer { BIO_free(bio) }
        var certificates: [OpaquePointer] = []
        while let cert = PEM_read_bio_X509(bio, nil, noPassword, nil) { certificates.append(cert) }
        // Reading past the last block leaves a "no start line" error behind; only a truly empty input is ours.
        let detail = OpenSSLErrors.drain()
        if certificates.isEmpty {
            throw .invalidConfiguration("\(what): no PEM certificate found" + (detail.isEmpty ? "" : " (\(detail))"))
        }
        return certificates
    }

    private static func useCertificateChain(_ ctx: OpaquePointer, _ pem: [UInt8]) throws(TLSError) {
        let certificates = try parseCertificates(pem, what: "certificateChain")
        defer { X509_free(certificates[0]) }      // use_certificate takes its own reference
        guard SSL_CTX_use_certificate(ctx, certificates[0]) == 1 else {
            for extra in certificates.dropFirst() { X509_free(extra) }
            throw .invalidConfiguration(OpenSSLErrors.describe("certificateChain: leaf certificate refused"))
        }
        for (i, extra) in certificates.enumerated().dropFirst() {
            guard copenssl_ctx_add0_chain_cert(ctx, extra) == 1 else {   // add0 owns it from here
                for rest in certificates[i...] { X509_free(rest) }
                throw .invalidConfiguration(OpenSSLErrors.describe("certificateChain: intermediate refused"))
            }
        }
    }

    private static func usePrivateKey(_ ctx: OpaquePointer, _ pem: [UInt8]) throws(TLSError) {
        let bio = pem.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        guard let bio else { throw .invalidConfiguration(OpenSSLErrors.describe("privateKey: BIO_new_mem_buf")) }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, noPassword, nil) else {
            throw .invalidConfiguration(OpenSSLErrors.describe("privateKey: not an unencrypted PEM private key"))
        }
        defer { EVP_PKEY_free(key) }
        guard SSL_CTX_use_PrivateKey(ctx, key) == 1 else {
            throw .invalidConfiguration(OpenSSLErrors.describe("privateKey refused (does it belong to certificateChain?)"))
        }
    }

    private static func loadTrustRoots(_ ctx: OpaquePointer, _ roots: TLSConfiguration.TrustRoots) throws(TLSError) {
        switch roots {
        case .system:
            guard SSL_CTX_set_default_verify_paths(ctx) == 1 else {
                throw .invalidConfiguration(OpenSSLErrors.describe("system trust store"))
            }
        case .certificates(let source):
            let certificates = try parseCertificates(try load(source, what: "trustRoots"), what: "trustRoots")
            defer { for cert in certificates { X509_free(cert) } }   // the store takes its own references
            let store = SSL_CTX_get_cert_store(ctx)
            for cert in certificates where X509_STORE_add_cert(store, cert) != 1 {
                throw .invalidConfiguration(OpenSSLErrors.describe("trustRoots: certificate refused"))
            }
        }
    }

    // MARK: Callbacks

    private func installCallbacks() {
        let me = Unmanaged.passUnretained(self).toOpaque()   // the SSL_CTX dies with us, so unretained is safe
        guard configuration.role == .server else { return }
        if configuration.serverNameHandler != nil {
            copenssl_ctx_set_servername_callback(raw, { ssl, alert, arg in
                let context = Unmanaged<TLSContext>.fromOpaque(arg!).takeUnretainedValue()
                let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
                guard let handler = context.configuration.serverNameHandler, handler(name) == .reject else {
                    return SSL_TLSEXT_ERR_OK
                }
                alert?.pointee = copenssl_alert_unrecognized_name()
                return SSL_TLSEXT_ERR_ALERT_FATAL
            }, me)
        }
        if !configuration.alpnProtocols.isEmpty {
            SSL_CTX_set_alpn_select_cb(raw, { _, out, outLength, clientList, clientLength, arg in
                let context = Unmanaged<TLSContext>.fromOpaque(arg!).takeUnretainedValue()
                var selected: UnsafeMutablePointer<UInt8>?
                var length: UInt8 = 0
                // Server preference: the first of our protocols that the client offered.
                let rc = SSL_select_next_proto(&selected, &length, context.alpnWire.baseAddress,
                                               UInt32(context.alpnWire.count), clientList, clientLength)
                guard rc == OPENSSL_NPN_NEGOTIATED, let selected else { return SSL_TLSEXT_ERR_NOACK }
                out?.pointee = UnsafePointer(selected)
                outLength?.pointee = length
                return SSL_TLSEXT_ERR_OK
            }, me)
        }
    }

    // MARK: Per connection

    /// A new `SSL` for one connection. `serverName` / `expectedHostName` override the configuration's
    /// (one client context serves many SNI names, as with Astra's host ids).
    func makeSSL(serverName: String?, expectedHostName: String?) throws(TLSError) -> OpaquePointer {
        ERR_clear_error()
        guard let ssl = SSL_new(raw) else { throw .invalidConfiguration(OpenSSLErrors.describe("SSL_new")) }
        guard configuration.role == .client else { return ssl }
        let sni = serverName ?? configuration.serverName
        if let sni, !Self.isIPAddress(sni) {
            guard copenssl_set_sni(ssl, sni) == 1 else {
                SSL_free(ssl)
                throw .invalidConfiguration(OpenSSLErrors.describe("serverName \(sni)"))
            }
        }
        guard configuration.verifyPeer else { return ssl }
        guard let expected = expectedHostName ?? configuration.expectedHostName ?? sni else {
            SSL_free(ssl)
            throw .invalidConfiguration("verifyPeer needs expectedHostName or serverName to check the certificate against")
        }
        let param = SSL_get0_param(ssl)
        X509_VERIFY_PARAM_set_hostflags(param, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
        let ok = Self.isIPAddress(expected)
            ? X509_VERIFY_PARAM_set1_ip_asc(param, expected)
            : X509_VERIFY_PARAM_set1_host(param, expected, 0)
        guard ok == 1 else {
            SSL_free(ssl)
            throw .invalidConfiguration(OpenSSLErrors.describe("expectedHostName \(expected)"))
        }
        return ssl
    }

    static func isIPAddress(_ text: String) -> Bool { SocketAddress(ip: text, port: 0) != nil }
}

/// Refuses encrypted PEM instead of letting OpenSSL prompt on the terminal.
private let noPassword: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
    _, _, _, _ in 0
}

enum OpenSSLSetup {
    /// TLS writes go through OpenSSL's socket BIO, i.e. write(2) without MSG_NOSIGNAL: a peer that closed
    /// would raise SIGPIPE. Ignore it process-wide, as redis does (EventLoopGroup does the same).
    static func once() { _ = setup }
    private static let setup: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
}
