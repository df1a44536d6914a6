import ArgumentParser
import CQLMock
import Foundation
import Glibc
import Posix
import Upstream

/// Starts a built-in Astra emulator (in-memory nodes behind an SNI TLS front, a metadata service over
/// mutual TLS, a generated secure-connect bundle) and the proxy in front of it, through that bundle and a
/// token, so `cqlsh 127.0.0.1 9042` works on a fresh machine with no account. `--plain` skips Astra and
/// fronts the in-memory nodes by contact points instead.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the proxy in front of a built-in Astra emulator (no Cassandra or Astra account needed).")

    @Option(name: .long, help: "Nodes in the in-memory cluster.")
    var nodes = 3

    @Flag(name: .long, help: "Front the in-memory nodes by contact points, without the Astra emulator.")
    var plain = false

    /// Every proxy option works here too (e.g. --bind, --http-bind, --workers, --debug); the upstream ones are
    /// filled in by the demo.
    @OptionGroup var proxy: ProxyOptions

    func run() throws {
        guard (1...16).contains(nodes) else { Diagnostics.fail("--nodes must be 1 to 16", code: 2) }
        var options = proxy
        options.bind = options.bind ?? "127.0.0.1:9042"
        options.httpBind = options.httpBind ?? "127.0.0.1:8000"
        options.healthCheck = options.healthCheck ?? true
        var keepAlive: [AnyObject] = []
        do {
            if plain {
                let cluster = try MockCluster(nodes: nodes, clusterName: "Demo Cluster")
                keepAlive.append(cluster)
                print("in-memory cluster: \(nodes) node(s) at 127.0.0.1-\(nodes), port \(cluster.port)")
                options.contactPoints = "\(cluster.contactPoint.host):\(cluster.port)"
                options.port = "\(cluster.port)"
            } else {
                let emulator = try AstraEmulator(nodes: nodes)
                keepAlive.append(emulator)
                let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("cql-proxy-demo-\(emulator.databaseID).zip")
                try emulator.writeBundle(to: bundle)
                try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: bundle.path)
                print("Astra emulator: database \(emulator.databaseID), \(nodes) node(s) behind its SNI front")
                print("secure-connect bundle: \(bundle.path)")
                options.astraBundle = bundle.path
                options.astraToken = emulator.token
            }
        } catch {
            Diagnostics.fail("cannot start the demo cluster: \(error)", code: 1)
        }
        let settings: Settings
        do {
            settings = try Settings(options: options, environment: Environment(values: [:]))
        } catch {
            Diagnostics.fail("\(error)", code: 2)
        }
        print("try: cqlsh \(settings.proxy.bind.host) \(settings.proxy.bind.port)")
        fflush(nil)
        withExtendedLifetime(keepAlive) {
            Runner(settings: settings).runUntilSignalled()
        }
    }
}
