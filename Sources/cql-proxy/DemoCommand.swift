import ArgumentParser
import CQLMock
import Posix
import Upstream

/// Starts a built-in in-memory cluster and the proxy in front of it, so `cqlsh localhost 9042` works on a
/// fresh machine with no cluster and no account.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the proxy in front of a built-in in-memory cluster (no Cassandra or Astra needed).")

    @Option(name: .long, help: "Nodes in the in-memory cluster.")
    var nodes = 3

    @Option(name: [.customShort("a"), .long], help: "CQL listen address of the proxy.")
    var bind = "127.0.0.1:9042"

    @Option(name: .long, help: "Event-loop threads (default: number of cores).")
    var workers: Int?

    @Flag(name: .long, help: "Debug logging.")
    var debug = false

    func run() throws {
        guard (1...16).contains(nodes) else { Diagnostics.fail("--nodes must be 1 to 16", code: 2) }
        let cluster: MockCluster
        do {
            cluster = try MockCluster(nodes: nodes, clusterName: "Demo Cluster")
        } catch {
            Diagnostics.fail("cannot start the in-memory cluster: \(error)", code: 1)
        }
        print("in-memory cluster: \(nodes) node(s) at 127.0.0.1-\(nodes) port \(cluster.port)")
        var options = try ProxyOptions.parse([
            "--contact-points", "\(cluster.contactPoint.host):\(cluster.port)", "--port", "\(cluster.port)",
            "--bind", bind,
        ] + (workers.map { ["--workers", "\($0)"] } ?? []))
        options.debug = debug
        let settings: Settings
        do {
            settings = try Settings(options: options, environment: Environment(values: [:]))
        } catch {
            Diagnostics.fail("\(error)", code: 2)
        }
        print("try: cqlsh \(settings.proxy.bind.host) \(settings.proxy.bind.port)")
        withExtendedLifetime(cluster) {
            Runner(settings: settings).runUntilSignalled()
        }
    }
}
