import COpenSSL

/// A certificate and its private key, both PEM.
public struct IssuedCertificate: Sendable {
    public let certificatePEM: String
    public let privateKeyPEM: String
}

public struct CertificateError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// A throwaway certificate authority made with the OpenSSL C API (EC P-256 keys, SHA-256 signatures), for
/// the Astra emulator and tests: no openssl CLI, nothing on disk. Not for production trust.
public final class CertificateAuthority: @unchecked Sendable {
    public let certificatePEM: String
    public let commonName: String
    // Immutable after init; OpenSSL only reads them when signing, which is safe from several threads.
    private let key: OpaquePointer
    private let certificate: OpaquePointer

    public init(commonName: String = "cql-proxy test CA", validDays: Int = 30) throws(CertificateError) {
        self.commonName = commonName
        let key = try Self.newKey()
        guard let cert = X509_new() else { EVP_PKEY_free(key); throw Self.failure("X509_new") }
        do {
            try Self.fill(cert, subject: commonName, issuerName: nil, publicKey: key, validDays: validDays)
            try Self.extend(cert, issuer: cert, [
                (NID_basic_constraints, "critical,CA:TRUE"),
                (NID_key_usage, "critical,keyCertSign,cRLSign"),
                (NID_subject_key_identifier, "hash"),
            ])
            try Self.sign(cert, with: key)
            certificatePEM = try Self.pem(of: cert)
        } catch {
            X509_free(cert)
            EVP_PKEY_free(key)
            throw error
        }
        self.key = key
        self.certificate = cert
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    /// A server certificate valid for `dnsNames` and `ipAddresses` (subjectAltName), signed by this CA.
    public func issueServerCertificate(commonName: String? = nil, dnsNames: [String] = ["localhost"],
                                       ipAddresses: [String] = ["127.0.0.1"],
                                       validDays: Int = 30) throws(CertificateError) -> IssuedCertificate {
        let names = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        var extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "critical,digitalSignature,keyEncipherment"),
            (NID_ext_key_usage, "serverAuth"),
        ]
        if !names.isEmpty { extensions.append((NID_subject_alt_name, names.joined(separator: ","))) }
        return try issue(commonName: commonName ?? dnsNames.first ?? ipAddresses.first ?? "server",
                         extensions: extensions, validDays: validDays)
    }

    /// A client certificate (mutual TLS), signed by this CA.
    public func issueClientCertificate(commonName: String = "client",
                                       validDays: Int = 30) throws(CertificateError) -> IssuedCertificate {
        try issue(commonName: commonName, extensions: [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "critical,digitalSignature"),
            (NID_ext_key_usage, "clientAuth"),
        ], validDays: validDays)
    }

    private func issue(commonName: String, extensions: [(Int32, String)],
                       validDays: Int) throws(CertificateError) -> IssuedCertificate {
        let leafKey = try Self.newKey()
        defer { EVP_PKEY_free(leafKey) }
        guard let cert = X509_new() else { throw Self.failure("X509_new") }
        defer { X509_free(cert) }
        try Self.fill(cert, subject: commonName, issuerName: X509_get_subject_name(certificate),
                      publicKey: leafKey, validDays: validDays)
        try Self.extend(cert, issuer: certificate, extensions + [
            (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid:always"),
        ])
        try Self.sign(cert, with: key)
        return IssuedCertificate(certificatePEM: try Self.pem(of: cert), privateKeyPEM: try Self.pem(ofKey: leafKey))
    }

    // MARK: OpenSSL steps

    private static func newKey() throws(CertificateError) -> OpaquePointer {
        guard let key = copenssl_ec_p256_keygen() else { throw failure("EC P-256 key generation") }
        return key
    }

    private static func fill(_ cert: OpaquePointer, subject: String, issuerName: OpaquePointer?,
                             publicKey: OpaquePointer, validDays: Int) throws(CertificateError) {
        guard X509_set_version(cert, 2) == 1 else { throw failure("X509_set_version") }   // v3
        var serial = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&serial, Int32(serial.count)) == 1 else { throw failure("RAND_bytes") }
        serial[0] &= 0x7f   // positive
        guard let bn = BN_bin2bn(serial, Int32(serial.count), nil) else { throw failure("BN_bin2bn") }
        defer { BN_free(bn) }
        guard BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nil else { throw failure("serial number") }
        // Back-dated an hour so a slightly slow clock elsewhere still accepts it.
        guard X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nil,
              X509_gmtime_adj(X509_getm_notAfter(cert), validDays * 86_400) != nil else { throw failure("validity") }
        let name = X509_get_subject_name(cert)
        guard X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, subject, -1, -1, 0) == 1 else {
            throw failure("subject CN")
        }
        guard X509_set_issuer_name(cert, issuerName ?? name) == 1 else { throw failure("issuer name") }
        guard X509_set_pubkey(cert, publicKey) == 1 else { throw failure("X509_set_pubkey") }
    }

    private static func extend(_ cert: OpaquePointer, issuer: OpaquePointer,
                               _ extensions: [(Int32, String)]) throws(CertificateError) {
        for (nid, value) in extensions where copenssl_add_extension(cert, issuer, nid, value) != 1 {
            throw failure("extension \(String(cString: OBJ_nid2sn(nid))) = \(value)")
        }
    }

    private static func sign(_ cert: OpaquePointer, with key: OpaquePointer) throws(CertificateError) {
        guard X509_sign(cert, key, EVP_sha256()) > 0 else { throw failure("X509_sign") }
    }

    private static func pem(of cert: OpaquePointer) throws(CertificateError) -> String {
        try withMemoryBIO { bio in PEM_write_bio_X509(bio, cert) }
    }

    private static func pem(ofKey key: OpaquePointer) throws(CertificateError) -> String {
        // PKCS#8, unencrypted.
        try withMemoryBIO { bio in PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) }
    }

    private static func withMemoryBIO(_ write: (OpaquePointer) -> Int32) throws(CertificateError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw failure("BIO_new") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw failure("PEM write") }
        var data: UnsafeMutablePointer<CChar>?
        let length = copenssl_bio_mem_data(bio, &data)
        guard let data, length > 0 else { throw failure("PEM write: empty") }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    private static func failure(_ what: String) -> CertificateError {
        var detail: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while case let code = ERR_get_error(), code != 0 {
            ERR_error_string_n(code, &buffer, buffer.count)
            detail.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return CertificateError(description: detail.isEmpty ? what : "\(what): \(detail.joined(separator: "; "))")
    }
}
