import Foundation
import Posix
import Upstream

/// Astra as an `EndpointResolver`: contact points come from the metadata service (fetched again whenever
/// every known node failed), every node is reached through the one SNI front with its host id as the
/// SNI name, and nodes outside the metadata's region are left out.
public final class AstraResolver: EndpointResolver {
    public let bundle: SecureConnectBundle
    public let timeout: Duration
    private let region = Locked<String?>(nil)

    public init(bundle: SecureConnectBundle, timeout: Duration, metadata: AstraMetadata? = nil) {
        self.bundle = bundle
        self.timeout = timeout
        region.withLock { $0 = metadata?.region }
    }

    public func contactPoints() throws -> [Endpoint] {
        let metadata: AstraMetadata
        do {
            metadata = try MetadataClient.fetch(bundle: bundle, timeout: timeout)
        } catch {
            throw UpstreamError.resolve("\(error)")
        }
        region.withLock { $0 = metadata.region }
        let proxies: [SocketAddress]
        do {
            proxies = try metadata.sniProxy.resolve()
        } catch {
            throw UpstreamError.resolve("cannot resolve the SNI proxy \(metadata.sniProxy): \(error)")
        }
        guard let front = proxies.first else { throw UpstreamError.resolve("the SNI proxy \(metadata.sniProxy) has no address") }
        return metadata.contactPoints.map { Endpoint(address: front, serverName: $0.uuidString.lowercased()) }
    }

    public func endpoint(hostID: UUID, rpcAddress: String?, dataCenter: String, localDataCenter: String,
                         connectedVia: Endpoint, isLocal: Bool) -> Endpoint? {
        let wanted = region.withLock { $0 } ?? localDataCenter
        guard dataCenter == wanted || isLocal else { return nil }
        return Endpoint(address: connectedVia.address, serverName: hostID.uuidString.lowercased())
    }
}
