import Posix
import CQLProtocol
import Foundation

/// A statement prepared on a node: what EXECUTE and BATCH need to run it again.
struct PreparedStatement: Sendable {
    var query: String
    var keyspace: String?
    var info: PreparedInfo
}

/// One node of a mock cluster: a listener on its own loopback address with an accept thread, one thread per
/// connection, and the node's prepared-statement registry (per node, as in Cassandra, so a statement prepared on
/// one node is UNPREPARED on another until re-prepared there).
public final class MockNode: Sendable {
    /// 0-based position in the cluster; node i listens on 127.0.0.(i+1).
    public let index: Int
    public let address: String
    public let port: Int
    public let hostID: UUID
    public let dataCenter: String
    public let rack: String
    public let tokens: [String]
    let context: ClusterContext

    private struct Running {
        var listener: ListeningSocket
        var acceptThread: PosixThread?
        var connections: [UInt64: (connection: NodeConnection, thread: PosixThread)] = [:]
    }
    private struct State {
        var running: Running?
        var nextConnection: UInt64 = 0
    }
    private let state = Locked(State())
    let prepared = Locked<[[UInt8]: PreparedStatement]>([:])
    private let counts = Locked<[UInt8: Int]>([:])
    private let consistencies = Locked<[(texts: [String], consistency: Consistency)]>([])

    init(index: Int, address: String, port: Int, hostID: UUID, dataCenter: String, rack: String, tokens: [String],
         context: ClusterContext) {
        self.index = index
        self.address = address
        self.port = port
        self.hostID = hostID
        self.dataCenter = dataCenter
        self.rack = rack
        self.tokens = tokens
        self.context = context
    }

    /// This node as the engine sees it (system.local / system.peers rows).
    public var info: NodeInfo {
        NodeInfo(hostID: hostID, address: address, port: port, dataCenter: dataCenter, rack: rack, tokens: tokens)
    }

    public var isRunning: Bool { state.withLock { $0.running != nil } }

    /// Open client connections.
    public var connectionCount: Int { state.withLock { $0.running?.connections.count ?? 0 } }

    // MARK: Counters and prepared registry

    /// Requests this node received (every frame, including ones a fault answered), or only those of `opcode`.
    public func requestCount(opcode: Opcode? = nil) -> Int {
        counts.withLock { c in opcode.map { c[$0.rawValue, default: 0] } ?? c.values.reduce(0, +) }
    }

    public func resetRequestCounts() { counts.withLock { $0.removeAll() } }

    func countRequest(opcode: UInt8) {
        counts.withLock { $0[opcode, default: 0] += 1 }
    }

    /// The consistency of the last QUERY, EXECUTE or BATCH whose text contains `needle` (tests check what
    /// a proxy really sent).
    public func lastConsistency(forQueryContaining needle: String) -> Consistency? {
        consistencies.withLock { log in log.last { $0.texts.contains { $0.contains(needle) } }?.consistency }
    }

    func recordConsistency(of request: RequestMessage) {
        let consistency: Consistency
        switch request {
        case .query(let q): consistency = q.parameters.consistency
        case .execute(let e): consistency = e.parameters.consistency
        case .batch(let b): consistency = b.consistency
        default: return
        }
        let texts = queryTexts(of: request)
        consistencies.withLock { log in
            log.append((texts, consistency))
            if log.count > 256 { log.removeFirst(log.count - 256) }
        }
    }

    /// Drops every prepared statement: the next EXECUTE of them gets UNPREPARED.
    public func forgetPrepared() { prepared.withLock { $0.removeAll() } }

    /// Ids of the statements prepared here.
    public var preparedIDs: [[UInt8]] { prepared.withLock { Array($0.keys) } }

    // MARK: Lifecycle

    /// Starts accepting on `listener` (bound by the cluster to this node's address and port).
    func start(listener: ListeningSocket) {
        state.withLock { s in
            precondition(s.running == nil, "node \(index) is already running")
            s.running = Running(listener: listener)
            s.running?.acceptThread = PosixThread { [self] in acceptLoop(listener) }
        }
        context.changes.bump()
    }

    /// Closes the listener and every connection, and waits for their threads to end.
    func stop() {
        guard let running = state.withLock({ s -> Running? in defer { s.running = nil }; return s.running }) else {
            return
        }
        running.listener.fd.shutdown()
        running.acceptThread?.join()
        running.listener.fd.close()
        // The accept thread is gone, so no connection can be added to `running.connections` behind our back; the
        // ones that ended on their own already removed (and detached) themselves.
        let connections = running.connections.values
        for entry in connections { entry.connection.shutdown() }
        for entry in connections { entry.thread.join() }
        context.changes.bump()
    }

    private func acceptLoop(_ listener: ListeningSocket) {
        while let socket = listener.accept() {
            let accepted = state.withLock { s -> Bool in
                // A stop that raced the accept: the listener is no longer ours.
                guard s.running?.listener === listener else { return false }
                let id = s.nextConnection
                s.nextConnection += 1
                let connection = NodeConnection(socket: socket, node: self)
                // Created under the lock, so the thread's own removal (which takes it) finds the entry.
                let thread = PosixThread { [self] in
                    connection.run()
                    connectionEnded(id)
                }
                s.running?.connections[id] = (connection, thread)
                return true
            }
            if !accepted { socket.close(); break }
            context.changes.bump()
        }
    }

    private func connectionEnded(_ id: UInt64) {
        let entry = state.withLock { $0.running?.connections.removeValue(forKey: id) }
        // Still in the table: nobody will join this thread, so let it release itself. Otherwise `stop` has it.
        entry?.thread.detach()
        context.changes.bump()
    }
}
