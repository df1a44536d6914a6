import Glibc

/// An errno from a named system call. Would-block is not an error: see `IOResult`.
public struct IOError: Error, Equatable, Sendable, CustomStringConvertible {
    public let errno: CInt
    public let call: String

    public init(errno: CInt, call: String) {
        self.errno = errno
        self.call = call
    }

    public var description: String {
        "\(call): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The outcome of a non-blocking call: done, or try again when the descriptor is ready.
public enum IOResult<T: ~Copyable>: ~Copyable {
    case processed(T)
    case wouldBlock
}

extension IOResult: Copyable where T: Copyable {}
