import Posix
import EventLoop
import Synchronization

/// One loop's TLS connections holding bytes inside OpenSSL that epoll cannot report, serviced before every
/// sleep (redis's `pending_list`). Touched only on its loop; the registry lock is taken once per connection.
final class TLSPendingReads {
    private var connections: [TLSConnection] = []
    private unowned let loop: EventLoop

    private init(loop: EventLoop) { self.loop = loop }

    func add(_ connection: TLSConnection) {
        connections.append(connection)
    }

    private func service() {
        guard !connections.isEmpty else { return }
        let batch = connections
        connections.removeAll(keepingCapacity: true)
        Self.serviced.add(batch.count, ordering: .relaxed)
        for connection in batch { connection.servicePendingReads() }
        // Some still hold bytes after their read budget: keep epoll_wait from sleeping (a zero timer makes
        // its timeout 0) so they are serviced on the next iteration.
        if !connections.isEmpty { loop.schedule(after: .zero) {} }
    }

    /// The list of `loop`, created (and hooked into its before-sleep phase) on first use. Call on `loop`.
    static func forLoop(_ loop: EventLoop) -> TLSPendingReads {
        loop.assertInLoop()
        let key = ObjectIdentifier(loop)
        if let existing = registry.withLock({ $0[key]?.list }) { return existing }
        let list = TLSPendingReads(loop: loop)
        loop.addBeforeSleep { list.service() }     // the loop keeps the list alive, and it dies with the loop
        registry.withLock { table in
            table = table.filter { $0.value.list != nil }
            table[key] = WeakList(list: list)
        }
        return list
    }

    private struct WeakList: @unchecked Sendable {
        weak var list: TLSPendingReads?
    }

    /// Connections serviced from pending lists, all loops together (lets tests see the path was taken).
    static let serviced = Atomic<Int>(0)

    private static let registry = Locked<[ObjectIdentifier: WeakList]>([:])
}
