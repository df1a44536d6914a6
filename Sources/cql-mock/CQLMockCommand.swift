import ArgumentParser
import CQLMock
import Glibc

/// `cql-mock`: an in-memory CQL cluster on loopback, for demos and for driving the proxy by hand; with
/// `astra`, the same cluster behind an Astra emulator.
struct CQLMockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cql-mock",
        abstract: "Runs an in-memory CQL cluster, bare or behind an Astra emulator.",
        subcommands: [ClusterCommand.self, AstraCommand.self],
        defaultSubcommand: ClusterCommand.self)
}

/// The bare cluster (the default subcommand, so `cql-mock --nodes 3` works as before).
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Runs an in-memory CQL cluster: node i listens on 127.0.0.(i+1), all nodes on one port.")

    @Option(help: "Number of nodes.")
    var nodes: Int = 1

    @Option(help: "Native protocol port shared by every node (0: pick a free one).")
    var port: Int = 9042

    @Option(help: "Require PasswordAuthenticator login with this user (needs --password).")
    var username: String?

    @Option(help: "Password for --username.")
    var password: String?

    @Option(help: "Cluster name reported in system.local.")
    var clusterName: String = "Test Cluster"

    @Option(help: "Data center of every node.")
    var dataCenter: String = "datacenter1"

    func validate() throws {
        guard (1...254).contains(nodes) else { throw ValidationError("--nodes must be 1...254") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard (username == nil) == (password == nil) else {
            throw ValidationError("--username and --password go together")
        }
    }

    func run() throws {
        var stopSignals = blockStopSignals()

        let credentials = username.map { (user: $0, password: password ?? "") }
        let cluster = try MockCluster(nodes: nodes, clusterName: clusterName, dataCenter: dataCenter,
                                      credentials: credentials, port: port)
        for i in 0..<cluster.nodeCount {
            let node = cluster.node(i)
            print("node \(i) \(node.address):\(node.port) \(node.hostID.uuidString.lowercased())")
        }
        print("ready")
        fflush(nil)   // all streams: a parent reading our pipe waits for "ready"

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        cluster.shutdown()
    }
}

/// Blocks SIGINT and SIGTERM before any node or loop thread exists (threads inherit the mask), so only the
/// caller's `sigwait` ever sees them.
func blockStopSignals() -> sigset_t {
    var stopSignals = sigset_t()
    sigemptyset(&stopSignals)
    sigaddset(&stopSignals, SIGINT)
    sigaddset(&stopSignals, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
    return stopSignals
}
