import Astra
import Posix
import Transport

/// Where an Astra database's SNI front is and which node to ask it for, from a secure-connect bundle: the
/// bundle's client certificate and CA, the SNI address and host ids from the metadata service (unless given),
/// the server certificate checked against config.json's `host`. Blocking (the metadata call): main thread only.
struct AstraTarget {
    let bundle: SecureConnectBundle
    let sniAddress: SocketAddress
    let hostID: String

    /// `sniPort` (and `sniHost`, default config.json's `host`) override the metadata's SNI front address;
    /// `hostID` its first contact point.
    init(bundlePath: String, sniHost: String?, sniPort: Int?, hostID: String?) throws(DialError) {
        let bundle: SecureConnectBundle
        do {
            bundle = try SecureConnectBundle.load(path: bundlePath)
        } catch {
            throw DialError(description: "bundle \(bundlePath): \(error)")
        }
        self.bundle = bundle
        var sniEndpoint = sniPort.map { HostPort(host: sniHost ?? bundle.host, port: $0) }
        var chosen = hostID?.lowercased()
        if sniEndpoint == nil || chosen == nil {
            let metadata: AstraMetadata
            do {
                metadata = try MetadataClient.fetch(bundle: bundle, timeout: .seconds(10))
            } catch {
                throw DialError(description: "metadata service: \(error)")
            }
            sniEndpoint = sniEndpoint ?? metadata.sniProxy
            if chosen == nil {
                guard let first = metadata.contactPoints.first else {
                    throw DialError(description: "the metadata service lists no contact point")
                }
                chosen = first.uuidString.lowercased()
            }
        }
        guard let endpoint = sniEndpoint, let address = try? endpoint.resolve().first else {
            throw DialError(description: "cannot resolve the SNI front \(sniEndpoint?.description ?? "?")")
        }
        sniAddress = address
        self.hostID = chosen!
    }

    /// TLS to the SNI front as a driver does it: SNI = the node's host id (lower-case), mutual TLS with the
    /// bundle's certificate, the front's certificate verified for config.json's `host`.
    func dialer() throws(DialError) -> Dialer {
        let configuration = bundle.tlsConfiguration(serverName: hostID, expectedHostName: bundle.host)
        let context: TLSContext
        do { context = try TLSContext(configuration: configuration) } catch {
            throw DialError(description: "TLS context from the bundle: \(error)")
        }
        return Dialer(address: sniAddress,
                      security: .tls(context: context, serverName: hostID, expectedHostName: bundle.host))
    }
}
