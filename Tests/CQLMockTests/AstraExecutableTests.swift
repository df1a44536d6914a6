import Foundation
import Glibc
import Testing
import TestSupport

/// `cql-mock astra`: prints what a client needs, serves the Python driver's cloud path, stops on SIGTERM.
@Suite(.timeLimit(.minutes(1)))
struct AstraExecutableTests {
    @Test func printsBundleTokenAndURLsThenServesTheCloudPath() async throws {
        let path = builtProduct("cql-mock")
        try #require(FileManager.default.isExecutableFile(atPath: path), "cql-mock not built at \(path)")
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("scb-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: bundle) }
        let mock = try BackgroundProcess(path, ["astra", "--nodes", "2", "--region", "eu-west1",
                                                "--bundle-out", bundle.path])
        try await mock.waitForLine("ready", timeout: .seconds(10))
        var fields: [String: String] = [:]
        for line in mock.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        #expect(fields["bundle"] == bundle.path)
        #expect(fields["token"]?.hasPrefix("AstraCS:") == true)
        #expect(UUID(uuidString: fields["database-id"] ?? "") != nil)
        #expect(fields["devops-url"]?.hasPrefix("https://127.0.0.1:") == true)
        let caFile = try #require(fields["ca-file"])
        #expect(FileManager.default.fileExists(atPath: caFile))

        let out = try await runPython(script: "Tests/e2e/cloud_check.py",
                                      arguments: ["--bundle", bundle.path, "--token", fields["token"] ?? ""],
                                      timeout: .seconds(40))
        #expect(out.exitCode == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.hasPrefix("OK v4 hosts=2 dc=eu-west1"), "\(out.stdout)")
        #expect(try await mock.stop(signal: SIGTERM, timeout: .seconds(10)) == 0)
        // Its own files go with it; the bundle asked for with --bundle-out stays.
        #expect(!FileManager.default.fileExists(atPath: caFile))
        #expect(FileManager.default.fileExists(atPath: bundle.path))
    }
}
