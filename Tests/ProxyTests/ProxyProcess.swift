import CQLMock
import Foundation
import TestSupport
import Testing

/// The real `cql-proxy` binary in front of an in-process in-memory cluster, on free ports.
final class ProxyProcess: @unchecked Sendable {
    let process: BackgroundProcess
    let cqlPort: Int
    let httpPort: Int?

    init(_ arguments: [String], environment: [String: String] = [:], health: Bool = false) async throws {
        var args = ["--bind", "127.0.0.1:0", "--workers", "1"] + arguments
        if health { args += ["--health-check", "--http-bind", "127.0.0.1:0"] }
        process = try BackgroundProcess(builtProduct("cql-proxy"), args, environment: environment, captureStandardError: true)
        let listening = try await process.waitForLine(containing: "proxy listening on", timeout: .seconds(30))
        cqlPort = try #require(Self.port(after: "proxy listening on ", in: listening))
        if health {
            let line = try await process.waitForLine(containing: "health endpoints on", timeout: .seconds(30))
            httpPort = Self.port(after: "http://", in: line)
        } else {
            httpPort = nil
        }
    }

    /// The port of the first "host:port" after `marker`.
    static func port(after marker: String, in line: String) -> Int? {
        guard let range = line.range(of: marker) else { return nil }
        let rest = line[range.upperBound...]
        // host:port, then whatever follows (";", "\"" in a JSON log line, ...)
        let address = rest.prefix { $0.isNumber || $0 == "." || $0 == ":" || $0.isLetter || $0 == "[" || $0 == "]" }
        return address.split(separator: ":").last.flatMap { Int($0) }
    }

    var output: String { process.stdout }

    func stop(signal: Int32 = SIGTERM) async throws -> Int32 {
        try await process.stop(signal: signal, timeout: .seconds(30))
    }

    /// GET over HTTP/1.1: status and body.
    func get(_ path: String) throws -> (status: Int, body: String) {
        let port = try #require(httpPort)
        return try HTTPGet.get(path, port: port)
    }
}

enum HTTPGet {
    static func get(_ path: String, port: Int) throws -> (status: Int, body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(rc == 0)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }
}
