import Foundation
import Glibc
import Testing
import TestSupport

/// The `cql-mock` executable: prints its nodes, serves a real driver, stops cleanly on SIGINT / SIGTERM.
@Suite(.timeLimit(.minutes(1)))
struct ExecutableTests {
    @Test(arguments: [SIGINT, SIGTERM])
    func printsNodesServesAndStopsOnSignal(signal: Int32) async throws {
        let path = builtProduct("cql-mock")
        try #require(FileManager.default.isExecutableFile(atPath: path), "cql-mock not built at \(path)")
        let mock = try BackgroundProcess(path, ["--nodes", "2", "--port", "0"])
        try await mock.waitForLine("ready", timeout: .seconds(10))
        let lines = mock.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        let first = lines[0].split(separator: " ")
        #expect(first.count == 4 && first[0] == "node" && first[1] == "0")
        #expect(first[2].hasPrefix("127.0.0.1:"))
        #expect(UUID(uuidString: String(first[3])) != nil)
        #expect(lines[1].split(separator: " ")[2].hasPrefix("127.0.0.2:"))
        let port = try #require(first[2].split(separator: ":").last.map(String.init))
        let out = try await runPython(script: "Tests/e2e/connect_check.py",
                                      arguments: ["--host", "127.0.0.1", "--port", port], timeout: .seconds(20))
        #expect(out.exitCode == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("hosts=2"), "\(out.stdout)")
        #expect(try await mock.stop(signal: signal, timeout: .seconds(10)) == 0)
    }
}
