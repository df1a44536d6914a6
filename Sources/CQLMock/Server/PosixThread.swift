import Glibc

/// A joinable thread. Foundation's `Thread` cannot be joined, and a clean node stop must wait for its
/// connection threads to finish before the port is reused.
final class PosixThread: Sendable {
    fileprivate let handle: pthread_t

    /// Starts `body` on a new thread.
    init(_ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        handle = thread
    }

    /// Waits for the thread to end. Call at most once, never from the thread itself.
    func join() {
        _ = pthread_join(handle, nil)
    }

    /// True when called on this thread (a connection closing itself must not join itself).
    var isCurrent: Bool { pthread_equal(handle, pthread_self()) != 0 }
}

extension PosixThread {
    /// Lets the thread's resources go when it ends, for a thread nobody will join.
    func detach() { _ = pthread_detach(handle) }
}
