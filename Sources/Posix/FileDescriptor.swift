import Glibc

/// A file descriptor with exactly one owner: closing happens once, in `close()` or at the end of its life.
public struct FileDescriptor: ~Copyable {
    public let rawValue: CInt

    public init(owning rawValue: CInt) {
        self.rawValue = rawValue
    }

    /// Hands the raw descriptor to someone else, who now closes it.
    public consuming func release() -> CInt {
        let fd = rawValue
        discard self
        return fd
    }

    public consuming func close() {
        let fd = rawValue
        discard self
        _ = Glibc.close(fd)   // close errors are not actionable; Linux frees the descriptor regardless
    }

    deinit {
        _ = Glibc.close(rawValue)
    }
}
