import Posix

/// The emulator's PKI, as Astra's: one CA that signs the server certificate (shared by the metadata service,
/// the SNI front and the DevOps API) and the bundle's client certificate (mutual TLS).
struct AstraCertificates: Sendable {
    let caPEM: String
    let server: IssuedCertificate
    let client: IssuedCertificate

    /// `host` is config.json's `host`: clients check the server certificate against it (the proxy does; the
    /// Python driver's cloud context has `check_hostname` off but still verifies the chain).
    init(host: String) throws(CertificateError) {
        let ca = try CertificateAuthority(commonName: "Astra emulator CA")
        var dnsNames = ["localhost"]
        if host != "localhost" && SocketAddress(ip: host, port: 0) == nil { dnsNames.append(host) }
        caPEM = ca.certificatePEM
        server = try ca.issueServerCertificate(commonName: host, dnsNames: dnsNames, ipAddresses: ["127.0.0.1"])
        client = try ca.issueClientCertificate(commonName: "astra-emulator-client")
    }
}
