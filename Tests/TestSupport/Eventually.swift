/// Something that can tell a waiter "state may have changed" (e.g. the mock cluster's change signal), so a
/// wait re-checks its condition on events instead of sleeping.
public protocol ChangeNotifying: Sendable {
    /// A counter bumped on every change.
    var generation: UInt64 { get }
    /// Returns once `generation` exceeds `after`, or at `deadline`, whichever comes first.
    func waitForChange(after: UInt64, deadline: ContinuousClock.Instant) async
}

/// A condition still false at its deadline.
public struct EventuallyTimedOut: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "still not true after \(timeout): \(what)" }
}

/// Waits until `condition` holds, re-checking it each time `changes` reports a change; throws
/// `EventuallyTimedOut` at the deadline. Without a change source (state outside our control, e.g. a child
/// process) it re-checks with a backoff from 1 ms to 50 ms.
public func eventually(_ what: String = "condition", timeout: Duration = .seconds(10),
                       changes: (any ChangeNotifying)? = nil,
                       _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var backoff = Duration.milliseconds(1)
    while true {
        let seen = changes?.generation ?? 0
        if try await condition() { return }
        if clock.now >= deadline { throw EventuallyTimedOut(what: what, timeout: timeout) }
        if let changes {
            await changes.waitForChange(after: seen, deadline: deadline)
        } else {
            try await Task.sleep(until: min(clock.now + backoff, deadline), clock: clock)
            backoff = min(backoff * 2, .milliseconds(50))
        }
        try Task.checkCancellation()
    }
}
