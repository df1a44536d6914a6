import CShims
import Glibc

/// Non-blocking TCP socket calls on raw descriptors. Ownership stays with the caller's `FileDescriptor`.
public enum Socket {
    public static func makeTCP(family: CInt) throws(IOError) -> FileDescriptor {
        let fd = try syscallNonBlocking("socket") { cshim_socket_nonblocking(family, CInt(SOCK_STREAM.rawValue)) }
        return FileDescriptor(owning: fd)
    }

    public static func setOption(_ fd: CInt, level: CInt, name: CInt, value: CInt) throws(IOError) {
        try syscallNonBlocking("setsockopt") { cshim_set_int_option(fd, level, name, value) }
    }

    public static func setNoDelay(_ fd: CInt) throws(IOError) {
        try setOption(fd, level: CInt(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
    }

    public static func bind(_ fd: CInt, to address: SocketAddress) throws(IOError) {
        try syscallNonBlocking("bind") { address.withSockAddr { Glibc.bind(fd, $0, $1) } }
    }

    public static func listen(_ fd: CInt, backlog: CInt = 1024) throws(IOError) {
        try syscallNonBlocking("listen") { Glibc.listen(fd, backlog) }
    }

    /// A new non-blocking, close-on-exec connection, or `.wouldBlock` when the backlog is empty.
    public static func accept(_ fd: CInt) throws(IOError) -> IOResult<FileDescriptor> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try withUnsafeMutablePointer(to: &storage) { ptr throws(IOError) in
            try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(IOError) in
                try syscall("accept4") { cshim_accept4(fd, sa, &length) }
            }
        }
        switch result {
        case .processed(let newFD): return .processed(FileDescriptor(owning: newFD))
        case .wouldBlock: return .wouldBlock
        }
    }

    /// Starts a connect; `.wouldBlock` means in progress: wait for writable, then read `pendingError`.
    public static func connect(_ fd: CInt, to address: SocketAddress) throws(IOError) -> IOResult<Void> {
        switch try syscall("connect", { address.withSockAddr { Glibc.connect(fd, $0, $1) } }) {
        case .processed: return .processed(())
        case .wouldBlock: return .wouldBlock
        }
    }

    /// SO_ERROR: the outcome of a non-blocking connect (nil when it succeeded).
    public static func pendingError(_ fd: CInt) -> IOError? {
        let err = cshim_socket_error(fd)
        if err == 0 { return nil }
        return IOError(errno: err < 0 ? errno : err, call: "connect")
    }

    public static func read(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> IOResult<Int> {
        try syscall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    public static func writev(_ fd: CInt, _ vectors: UnsafeBufferPointer<iovec>) throws(IOError) -> IOResult<Int> {
        try syscall("writev") { Glibc.writev(fd, vectors.baseAddress, CInt(vectors.count)) }
    }

    public static func write(_ fd: CInt, _ bytes: UnsafeRawBufferPointer) throws(IOError) -> IOResult<Int> {
        try syscall("send") { cshim_send_nosignal(fd, bytes.baseAddress, bytes.count) }
    }

    public static func localAddress(_ fd: CInt) -> SocketAddress? {
        address(fd, getsockname)
    }

    public static func peerAddress(_ fd: CInt) -> SocketAddress? {
        address(fd, getpeername)
    }

    private static func address(
        _ fd: CInt, _ call: (CInt, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> CInt
    ) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, &length) }
        }
        return rc == 0 ? SocketAddress(storage: storage, length: length) : nil
    }

    public static func shutdownWrite(_ fd: CInt) {
        _ = Glibc.shutdown(fd, CInt(SHUT_WR))
    }
}
