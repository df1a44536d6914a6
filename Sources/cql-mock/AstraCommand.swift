import ArgumentParser
import CQLMock
import Foundation
import Glibc

/// `cql-mock astra`: a cluster behind the Astra emulator, for pointing a proxy or a driver at by hand.
struct AstraCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "astra",
        abstract: "Runs an in-memory cluster behind an Astra emulator (bundle, metadata service, SNI front, DevOps API).",
        discussion: """
            Prints the bundle path, token, database id, DevOps API URL and CA file (trust it with \
            SSL_CERT_FILE), then "ready". Runs until SIGINT or SIGTERM.
            """)

    @Option(help: "Number of nodes.")
    var nodes: Int = 3

    @Option(help: "Primary region (metadata local_dc and every node's data center).")
    var region: String = "us-east1"

    @Option(help: "Further regions the DevOps API lists (comma separated); they share the one cluster.")
    var extraRegions: String = ""

    @Option(help: "Where to write the secure-connect bundle (default: a new temporary file).")
    var bundleOut: String?

    @Option(help: "Application token to accept (default: a random AstraCS:... token).")
    var token: String?

    @Option(help: "Database id (default: a random UUID).")
    var databaseID: String?

    func validate() throws {
        guard (1...254).contains(nodes) else { throw ValidationError("--nodes must be 1...254") }
        if let databaseID, UUID(uuidString: databaseID) == nil { throw ValidationError("--database-id must be a UUID") }
    }

    func run() throws {
        var stopSignals = blockStopSignals()
        let token = token ?? AstraEmulator.makeToken()
        let extra = extraRegions.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let astra = try AstraEmulator(nodes: nodes, databaseID: databaseID.flatMap(UUID.init(uuidString:)) ?? UUID(),
                                      region: region, token: token, extraRegions: extra)
        let bundleURL = bundleOut.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("secure-connect-\(astra.databaseID.uuidString.lowercased()).zip")
        try astra.writeBundle(to: bundleURL)
        print("bundle \(bundleURL.path)")
        print("token \(astra.token)")
        print("database-id \(astra.databaseID.uuidString.lowercased())")
        print("devops-url \(astra.devOpsURL)")
        print("ca-file \(astra.caFileURL.path)")
        print("metadata-url \(astra.metadataURL)")
        print("sni-proxy \(astra.sniProxyAddress)")
        for node in astra.cluster.allNodes {
            print("node \(node.index) \(node.address):\(node.port) \(node.hostID.uuidString.lowercased())")
        }
        print("ready")
        fflush(nil)   // a parent reading our pipe waits for "ready"

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        astra.stop()
        if bundleOut == nil { try? FileManager.default.removeItem(at: bundleURL) }
    }
}
