import Foundation
import Posix
import Transport

/// Where to connect to reach one node: an address, and for Astra the SNI name (the node's host id) that
/// tells the shared TLS front which node we mean. The Go proxy's `Endpoint` seam.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: SocketAddress
    public var serverName: String?

    public init(address: SocketAddress, serverName: String? = nil) {
        self.address = address
        self.serverName = serverName
    }

    public var description: String { serverName.map { "\(address) (SNI \($0))" } ?? address.description }
}

/// Turns configuration into endpoints: contact points at start (and again whenever every known node
/// failed), and nodes learned from system.local / system.peers.
public protocol EndpointResolver: Sendable {
    /// May block (DNS, an HTTPS call): it is called on a Dispatch queue, never on a loop.
    func contactPoints() throws -> [Endpoint]
    /// The endpoint of a node the control connection saw; nil to leave the node out (e.g. another region).
    func endpoint(hostID: UUID, rpcAddress: String?, dataCenter: String, localDataCenter: String,
                  connectedVia: Endpoint, isLocal: Bool) -> Endpoint?
}

/// TLS towards the upstream: one context for every connection, plus the name the server certificate
/// must carry when it differs from the SNI name (Astra).
public struct UpstreamTLS: Sendable {
    public var context: TLSContext
    public var expectedHostName: String?
    public init(context: TLSContext, expectedHostName: String? = nil) {
        self.context = context
        self.expectedHostName = expectedHostName
    }
}

/// A plain Cassandra cluster given by contact points: names resolved by DNS, peers reached at their
/// rpc_address on the configured port, only in the data center of the node first reached.
public struct ContactPointResolver: EndpointResolver {
    public let contactPointList: [HostPort]
    public let port: Int

    public init(contactPoints: [HostPort], port: Int) {
        self.contactPointList = contactPoints
        self.port = port
    }

    public func contactPoints() throws -> [Endpoint] {
        var out: [Endpoint] = []
        var lastError: Error?
        for point in contactPointList {
            do {
                for address in try point.resolve() where !out.contains(where: { $0.address == address }) {
                    out.append(Endpoint(address: address))
                }
            } catch {
                lastError = error
            }
        }
        if out.isEmpty, let lastError { throw lastError }
        return out
    }

    public func endpoint(hostID: UUID, rpcAddress: String?, dataCenter: String, localDataCenter: String,
                         connectedVia: Endpoint, isLocal: Bool) -> Endpoint? {
        if isLocal { return connectedVia }
        guard dataCenter == localDataCenter, let rpcAddress, let address = SocketAddress(ip: rpcAddress, port: port) else {
            return nil
        }
        return Endpoint(address: address)
    }
}
