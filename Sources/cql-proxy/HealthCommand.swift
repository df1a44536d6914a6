import ArgumentParser
import Foundation
import Glibc
import Posix

/// `cql-proxy health`: asks the running proxy's /readiness and sets the exit code from it, so a Docker
/// HEALTHCHECK needs no curl in the image.
struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Exit 0 when the local proxy's /readiness answers 200, else 1.")

    /// The proxy's own options, for --http-bind (and --config), so the same command line works here.
    @OptionGroup var proxy: ProxyOptions

    @Option(name: .long, help: "Path to ask (default /readiness; /liveness for a liveness check).")
    var path = "/readiness"

    func run() throws {
        let text = proxy.httpBind ?? Environment.current["HTTP_BIND"] ?? ":8000"
        guard var target = HostPort(parsing: text, defaultPort: 8000) else { Diagnostics.fail("invalid --http-bind: \(text)", code: 2) }
        if target.host == "0.0.0.0" || target.host.isEmpty { target.host = "127.0.0.1" }
        if target.host == "::" { target.host = "::1" }
        guard let address = SocketAddress(ip: target.host, port: target.port) else {
            Diagnostics.fail("invalid --http-bind: \(text)", code: 2)
        }
        let status = Self.get(path, from: address)
        print(status.map { "\(path): \($0)" } ?? "\(path): no answer from \(address)")
        throw ExitCode(status == 200 ? 0 : 1)
    }

    /// The HTTP status of a GET, or nil when nothing sensible came back within 3 seconds.
    static func get(_ path: String, from address: SocketAddress) -> Int? {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard address.withSockAddr({ connect(fd, $0, $1) }) == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 12 else { return nil }
        let line = String(decoding: buffer[0..<n], as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return nil }
        return Int(parts[1])
    }
}
