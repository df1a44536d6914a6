import Glibc

/// The one funnel every system call goes through: retries EINTR, turns EAGAIN into `.wouldBlock`,
/// treats EBADF/EFAULT as programmer errors (a closed or foreign descriptor), throws the rest as `IOError`.
@inline(__always)
public func syscall<T: FixedWidthInteger>(
    _ name: StaticString, _ body: () -> T
) throws(IOError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .processed(result) }
        let err = errno
        switch err {
        case EINTR: continue
        case EAGAIN, EINPROGRESS: return .wouldBlock
        case EBADF, EFAULT: preconditionFailure("\(name): errno \(err) means a bug in the caller")
        default: throw IOError(errno: err, call: "\(name)")
        }
    }
}

/// For calls that never block (socket, bind, listen, epoll_ctl...): would-block is itself an error there.
@inline(__always)
@discardableResult
public func syscallNonBlocking<T: FixedWidthInteger>(
    _ name: StaticString, _ body: () -> T
) throws(IOError) -> T {
    switch try syscall(name, body) {
    case .processed(let value): return value
    case .wouldBlock: throw IOError(errno: EAGAIN, call: "\(name)")
    }
}
