import Posix
import Dispatch

/// A one-shot value a test can await with a deadline, fulfilled from any thread (e.g. an event loop).
final class Promise<T: Sendable>: Sendable {
    private let state = Locked<(value: T?, waiter: CheckedContinuation<T?, Never>?)>((nil, nil))

    func fulfill(_ value: T) {
        let waiter = state.withLock { s -> CheckedContinuation<T?, Never>? in
            guard s.value == nil else { return nil }
            s.value = value
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: value)
    }

    /// The value, or nil when `timeout` passes first.
    func wait(timeout: Duration = .seconds(10)) async -> T? {
        await withCheckedContinuation { (c: CheckedContinuation<T?, Never>) in
            let ready = state.withLock { s -> T? in
                if let v = s.value { return v }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(returning: ready); return }
            let (sec, atto) = timeout.components
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(sec * 1_000_000_000 + atto / 1_000_000_000))) {
                let w = self.state.withLock { s -> CheckedContinuation<T?, Never>? in
                    defer { s.waiter = nil }
                    return s.waiter
                }
                w?.resume(returning: nil)
            }
        }
    }
}
