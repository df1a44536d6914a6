import Dispatch
import EventLoop
import Posix

/// Counts connections that finished their handshake; the main thread waits on it.
final class ReadyLatch: Sendable {
    private struct State { var remaining: Int; var failure: String? }
    private let state: Locked<State>
    private let semaphore = DispatchSemaphore(value: 0)

    init(count: Int) { state = Locked(State(remaining: count)) }

    func report(_ failure: String?) {
        let done = state.withLock { s in
            if let failure, s.failure == nil { s.failure = failure }
            s.remaining -= 1
            return s.remaining == 0 || failure != nil
        }
        if done { semaphore.signal() }
    }

    /// nil once every connection is ready; the first failure, or a timeout message, otherwise.
    func wait(seconds: Int) -> String? {
        if semaphore.wait(timeout: .now() + .seconds(seconds)) == .timedOut {
            return "connections not ready after \(seconds) s"
        }
        return state.withLock { $0.failure }
    }
}

/// The load connections of one loop. Created on the main thread, then touched only on its loop.
/// At most `maxOpening` connections are connecting or handshaking at once, so that thousands of them do not
/// overflow the server's accept backlog or time out waiting for TLS handshakes queued behind each other.
final class LoadWorker {
    static let maxOpening = 64
    private var connections: [LoadConnection] = []
    private var waiting: ArraySlice<LoadConnection> = []
    private var dialer: Dialer?
    private var loop: EventLoop?

    func start(count: Int, firstIndex: Int, plan: LoadPlan, dialer: Dialer, loop: EventLoop, latch: ReadyLatch) {
        self.dialer = dialer
        self.loop = loop
        for i in 0..<count {
            // Spread the connections' keys so they do not read the same rows in lockstep.
            let firstKey = Int32((firstIndex + i) * 97 % Int(max(plan.keyCount, 1)))
            let connection = LoadConnection(plan: plan, firstKey: firstKey) { [unowned self] failure in
                latch.report(failure)
                openNext()
            }
            connections.append(connection)
        }
        waiting = connections[...]
        for _ in 0..<min(Self.maxOpening, connections.count) { openNext() }
    }

    private func openNext() {
        guard let next = waiting.popFirst(), let dialer, let loop else { return }
        next.connect(with: dialer, on: loop)
    }

    func begin(_ schedule: Schedule) {
        for connection in connections { connection.begin(schedule) }
    }

    /// Closes every connection and returns what they saw.
    func finish() -> LoadStats {
        var total = LoadStats()
        waiting = []
        for connection in connections {
            connection.finish()
            total.merge(connection.stats)
        }
        connections.removeAll()
        return total
    }
}
