import Posix
import CQLProtocol
import Foundation
import Glibc

/// Why a cluster could not start.
public enum MockClusterError: Error, CustomStringConvertible {
    case bind(SocketError)
    case noCommonPort(attempts: Int)
    case tooManyNodes(Int)

    public var description: String {
        switch self {
        case .bind(let e): "cannot listen: \(e)"
        case .noCommonPort(let n): "no port was free on every node address after \(n) attempts"
        case .tooManyNodes(let n): "\(n) nodes do not fit in 127.0.0.1-127.0.0.254"
        }
    }
}

/// An in-memory CQL cluster on loopback that real drivers accept. Node i (0-based) listens on 127.0.0.(i+1), every
/// node on the SAME port: drivers discover peers from system.peers and connect to each peer's address on the one
/// port they were given.
public final class MockCluster: Sendable {
    public let engine: Engine
    /// Faults to inject (errors, delays, silence, cut connections), per node or cluster-wide.
    public var faults: FaultInjector { context.faults }
    /// Bumped on every observable change (request handled, connection opened or closed, event pushed, node
    /// stopped or started): tests wait on it.
    public var changes: ChangeSignal { context.changes }
    public let clusterName: String
    public let dataCenter: String
    /// The port every node listens on.
    public let port: Int
    let context: ClusterContext
    private let nodes: Locked<[MockNode]>

    /// Starts `nodes` nodes. With `port` 0 a port free on every node address is picked (the whole cluster is
    /// retried on a conflict); with a fixed port, a conflict is an error.
    public init(nodes count: Int = 1, clusterName: String = "Test Cluster", dataCenter: String = "datacenter1",
                credentials: (user: String, password: String)? = nil, port requestedPort: Int = 0,
                releaseVersion: String = "4.0.11",
                maxFrameBodyLength: Int = FrameHeader.defaultMaxBodyLength) throws {
        guard (1...254).contains(count) else { throw MockClusterError.tooManyNodes(count) }
        let engine = Engine(clusterName: clusterName, releaseVersion: releaseVersion)
        let context = ClusterContext(engine: engine,
                                     credentials: credentials.map { MockCredentials(user: $0.user, password: $0.password) },
                                     maxFrameBodyLength: maxFrameBodyLength)
        let listeners = try Self.bindAll(count: count, port: UInt16(requestedPort))
        let port = Int(listeners[0].port)
        let tokens = Self.evenTokens(count: count)
        var nodes: [MockNode] = []
        for (i, listener) in listeners.enumerated() {
            nodes.append(MockNode(index: i, address: listener.address, port: port, hostID: UUID(),
                                  dataCenter: dataCenter, rack: "rack1", tokens: [tokens[i]], context: context))
        }
        self.engine = engine
        self.context = context
        self.clusterName = clusterName
        self.dataCenter = dataCenter
        self.port = port
        self.nodes = Locked(nodes)
        engine.setTopology(nodes.map(\.info))
        for (node, listener) in zip(nodes, listeners) { node.start(listener: listener) }
    }

    deinit { shutdown() }

    public var nodeCount: Int { nodes.withLock { $0.count } }

    /// Node `i`, 0-based.
    public func node(_ i: Int) -> MockNode { nodes.withLock { $0[i] } }

    public var allNodes: [MockNode] { nodes.withLock { $0 } }

    /// The first node's address: what a driver is given as contact point.
    public var contactPoint: (host: String, port: Int) { (node(0).address, port) }

    /// Stops node `i`: closes its listener and connections (joining their threads) and tells the other nodes'
    /// registered connections it is DOWN. Its data (shared by the cluster) stays; so does its prepared registry.
    public func stop(node i: Int) {
        let node = node(i)
        guard node.isRunning else { return }
        node.stop()
        context.hub.publish(.statusChange(up: false, address: node.address, port: node.port), excludingNode: i)
        context.changes.bump()
    }

    /// Restarts node `i` on the same address and port; `forgetPrepared` empties its prepared registry as a real
    /// restart would.
    public func start(node i: Int, forgetPrepared: Bool = false) throws {
        let node = node(i)
        guard !node.isRunning else { return }
        if forgetPrepared { node.forgetPrepared() }
        let listener = try Self.rebind(address: node.address, port: UInt16(node.port))
        node.start(listener: listener)
        context.hub.publish(.statusChange(up: true, address: node.address, port: node.port), excludingNode: i)
        context.changes.bump()
    }

    /// Adds a node on the next loopback address (same port), tells the engine and pushes TOPOLOGY_CHANGE NEW_NODE
    /// to the other nodes' registered connections.
    @discardableResult
    public func addNode() throws -> MockNode {
        let index = nodeCount
        guard index < 254 else { throw MockClusterError.tooManyNodes(index + 1) }
        let address = "127.0.0.\(index + 1)"
        let listener: ListeningSocket
        do { listener = try ListeningSocket(address: address, port: UInt16(port)) } catch { throw MockClusterError.bind(error) }
        // A token halfway between two existing ones would be more realistic; any distinct token is valid.
        let token = String(Int64.min / 2 + Int64(index) * 7919)
        let node = MockNode(index: index, address: address, port: port, hostID: UUID(), dataCenter: dataCenter,
                            rack: "rack1", tokens: [token], context: context)
        let all = nodes.withLock { n in n.append(node); return n }
        engine.setTopology(all.map(\.info))
        node.start(listener: listener)
        context.hub.publish(.topologyChange(newNode: true, address: address, port: port), excludingNode: index)
        context.changes.bump()
        return node
    }

    /// Requests node `i` received (all opcodes, or one).
    public func requestCount(node i: Int, opcode: Opcode? = nil) -> Int { node(i).requestCount(opcode: opcode) }

    /// Drops prepared statements on node `i`, or on every node.
    public func forgetPrepared(node i: Int? = nil) {
        if let i { node(i).forgetPrepared() } else { allNodes.forEach { $0.forgetPrepared() } }
    }

    /// Connections (on any node) registered for events of `type` ("SCHEMA_CHANGE", "STATUS_CHANGE", ...).
    public func eventSubscribers(type: String) -> Int { context.hub.subscriberCount(type: type) }

    /// Stops every node. Idempotent.
    public func shutdown() {
        for node in nodes.withLock({ $0 }) { node.stop() }
    }

    // MARK: Ports and tokens

    private static func bindAll(count: Int, port: UInt16) throws -> [ListeningSocket] {
        let attempts = port == 0 ? 20 : 1
        for _ in 0..<attempts {
            var listeners: [ListeningSocket] = []
            do {
                let first = try ListeningSocket(address: "127.0.0.1", port: port)
                listeners.append(first)
                for i in 1..<count {
                    listeners.append(try ListeningSocket(address: "127.0.0.\(i + 1)", port: first.port))
                }
                return listeners
            } catch {
                for l in listeners { l.fd.close() }
                if error.errno != EADDRINUSE || port != 0 { throw MockClusterError.bind(error) }
            }
        }
        throw MockClusterError.noCommonPort(attempts: attempts)
    }

    /// Rebinding right after a stop can race the kernel's release of the port for a moment; retry briefly.
    private static func rebind(address: String, port: UInt16) throws -> ListeningSocket {
        var lastError: SocketError?
        for attempt in 0..<50 {
            do { return try ListeningSocket(address: address, port: port) } catch {
                guard error.errno == EADDRINUSE else { throw MockClusterError.bind(error) }
                lastError = error
                usleep(UInt32(min(1 + attempt, 20)) * 1000)
            }
        }
        throw MockClusterError.bind(lastError!)
    }

    /// One Murmur3 token per node, evenly spaced over the ring [-2^63, 2^63).
    static func evenTokens(count: Int) -> [String] {
        let step = UInt64.max / UInt64(count)
        return (0..<count).map { i in
            String(Int64(bitPattern: UInt64(bitPattern: Int64.min) &+ UInt64(i) &* step))
        }
    }
}
