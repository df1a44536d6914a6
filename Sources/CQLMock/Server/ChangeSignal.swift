import Posix

/// A generation counter that wakes waiters when bumped. The cluster bumps it whenever something a test may wait
/// for happens (a request handled, a connection opened or closed, an event pushed, a node stopped or started), so
/// tests wait on events instead of sleeping.
public final class ChangeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Locked(State())

    public init() {}

    public var generation: UInt64 { state.withLock { $0.generation } }

    func bump() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation &+= 1
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once `generation > after`, at `deadline`, or on cancellation, whichever comes first.
    public func waitForChange(after: UInt64, deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForBump(after: after) }
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForBump(after: UInt64) async {
        let id = state.withLock { s in defer { s.nextWaiter += 1 }; return s.nextWaiter }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.generation > after || Task.isCancelled { return true }
                    s.waiters[id] = c
                    return false
                }
                if ready { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
