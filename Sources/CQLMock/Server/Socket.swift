import Posix
import Glibc

/// A failed socket call, naming the call and errno.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var errno: Int32
    public var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Retries EINTR; returns the result or throws the errno as a `SocketError`.
@inline(__always)
func retrying<T: FixedWidthInteger>(_ call: String, _ body: () -> T) throws(SocketError) -> T {
    while true {
        let r = body()
        if r >= 0 { return r }
        if errno == EINTR { continue }
        throw SocketError(call: call, errno: errno)
    }
}

/// One socket fd, closed exactly once. Another thread may `shutdown()` it to wake a thread blocked in
/// `accept`/`recv` on it; only the owning thread calls `close()` (after its loop ends), so the fd number is never
/// reused under a concurrent reader.
final class SocketFD: Sendable {
    let raw: Int32
    private let closed = Locked(false)

    init(raw: Int32) { self.raw = raw }

    /// Wakes blocked readers and acceptors (Linux returns EOF / EINVAL to them); safe from any thread.
    func shutdown() {
        closed.withLock { isClosed in
            if !isClosed { _ = Glibc.shutdown(raw, Int32(SHUT_RDWR)) }
        }
    }

    func close() {
        closed.withLock { isClosed in
            if !isClosed { isClosed = true; _ = Glibc.close(raw) }
        }
    }

    deinit { close() }
}

/// A listening TCP socket on an IPv4 address.
final class ListeningSocket: Sendable {
    let fd: SocketFD
    let address: String
    let port: UInt16

    /// Binds `address:port` (port 0 = any free port) with SO_REUSEADDR, so a restarted node gets its port back
    /// despite connections in TIME_WAIT. EADDRINUSE surfaces as `SocketError` for the caller to retry.
    init(address: String, port: UInt16, backlog: Int32 = 128) throws(SocketError) {
        let raw = try retrying("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let fd = SocketFD(raw: raw)
        var one: Int32 = 1
        _ = setsockopt(raw, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = try Self.makeAddress(address, port: port)
        _ = try withUnsafePointer(to: &addr) { p throws(SocketError) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SocketError) in
                try retrying("bind \(address):\(port)") { bind(raw, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        _ = try retrying("listen") { listen(raw, backlog) }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = try withUnsafeMutablePointer(to: &bound) { p throws(SocketError) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SocketError) in
                try retrying("getsockname") { getsockname(raw, sa, &len) }
            }
        }
        self.fd = fd
        self.address = address
        self.port = UInt16(bigEndian: bound.sin_port)
    }

    /// Blocks for the next connection; nil once the listener was shut down.
    func accept() -> ConnectedSocket? {
        while true {
            let raw = Glibc.accept(fd.raw, nil, nil)
            if raw >= 0 {
                _ = fcntl(raw, F_SETFD, FD_CLOEXEC)   // test helpers spawn Python; it must not inherit clients
                return ConnectedSocket(fd: SocketFD(raw: raw))
            }
            switch errno {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: continue   // transient; the client will see a slow accept
            default: return nil                              // EINVAL after shutdown, EBADF after close
            }
        }
    }

    static func makeAddress(_ address: String, port: UInt16) throws(SocketError) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else { throw SocketError(call: "inet_pton \(address)", errno: EINVAL) }
        return addr
    }
}

/// A connected TCP socket with blocking exact reads and complete writes.
final class ConnectedSocket: Sendable {
    let fd: SocketFD

    init(fd: SocketFD) {
        self.fd = fd
        var one: Int32 = 1
        _ = setsockopt(fd.raw, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Connects to `address:port` (used by tests that speak raw frames).
    convenience init(connectingTo address: String, port: UInt16) throws(SocketError) {
        let raw = try retrying("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let fd = SocketFD(raw: raw)
        var addr = try ListeningSocket.makeAddress(address, port: port)
        _ = try withUnsafePointer(to: &addr) { p throws(SocketError) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SocketError) in
                try retrying("connect \(address):\(port)") { connect(raw, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        self.init(fd: fd)
    }

    /// Reads exactly `count` bytes; nil on EOF (or on a reset/shutdown before they all arrived).
    func read(exactly count: Int) -> [UInt8]? {
        if count == 0 { return [] }
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd.raw, $0.baseAddress! + filled, count - filled, 0) }
            if n > 0 { filled += n; continue }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
        return buffer
    }

    /// Appends what one `recv` returns (at most `scratch.count` bytes, read into `scratch`); false on EOF, a reset
    /// or a shutdown.
    func receive(appendingTo buffer: inout [UInt8], scratch: inout [UInt8]) -> Bool {
        while true {
            let n = scratch.withUnsafeMutableBytes { recv(fd.raw, $0.baseAddress!, $0.count, 0) }
            if n > 0 { buffer += scratch[0..<n]; return true }
            if n < 0 && errno == EINTR { continue }
            return false
        }
    }

    /// Sends every byte (MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE).
    func write(_ bytes: [UInt8]) throws(SocketError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd.raw, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n >= 0 { sent += n; continue }
            if errno == EINTR { continue }
            throw SocketError(call: "send", errno: errno)
        }
    }

    /// Sets a receive timeout, so a test reading a frame cannot hang forever.
    func setReceiveTimeout(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        _ = setsockopt(fd.raw, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func shutdown() { fd.shutdown() }
    func close() { fd.close() }
}
