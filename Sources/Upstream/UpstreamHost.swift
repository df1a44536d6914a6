import Foundation
import Posix

/// One node of the upstream cluster as the control connection sees it.
public struct UpstreamHost: Sendable, Hashable, CustomStringConvertible {
    public var hostID: UUID
    public var endpoint: Endpoint
    /// The address the node advertises (events name nodes by it); nil when unknown.
    public var rpcAddress: [UInt8]?
    public var dataCenter: String
    public var rack: String
    public var releaseVersion: String
    public var tokens: [String]
    public var isUp: Bool

    public init(hostID: UUID, endpoint: Endpoint, rpcAddress: [UInt8]? = nil, dataCenter: String, rack: String,
                releaseVersion: String, tokens: [String], isUp: Bool = true) {
        self.hostID = hostID
        self.endpoint = endpoint
        self.rpcAddress = rpcAddress
        self.dataCenter = dataCenter
        self.rack = rack
        self.releaseVersion = releaseVersion
        self.tokens = tokens
        self.isUp = isUp
    }

    /// Where to connect (for Astra: the shared SNI front).
    public var address: SocketAddress { endpoint.address }

    public var description: String { "\(endpoint) (\(hostID.uuidString.lowercased()), \(dataCenter))" }
}

/// What the proxy repeats to its clients about the cluster behind it (system.local, SUPPORTED).
public struct ClusterInfo: Sendable, Hashable {
    public var clusterName: String
    public var releaseVersion: String
    public var cqlVersion: String
    public var partitioner: String
    public var localDataCenter: String
    public var schemaVersion: UUID
    /// The version the control connection settled on: the highest the upstream accepts.
    public var protocolVersion: UInt8

    public init(clusterName: String, releaseVersion: String, cqlVersion: String, partitioner: String,
                localDataCenter: String, schemaVersion: UUID, protocolVersion: UInt8) {
        self.clusterName = clusterName
        self.releaseVersion = releaseVersion
        self.cqlVersion = cqlVersion
        self.partitioner = partitioner
        self.localDataCenter = localDataCenter
        self.schemaVersion = schemaVersion
        self.protocolVersion = protocolVersion
    }
}
