import Posix

/// Every statement clients prepared, by prepared id, so that a node that answers UNPREPARED (restarted,
/// new, or evicted its cache) can be given the statement again without the client noticing, and so that
/// a node joining or returning gets them before its first EXECUTE. Shared by all loops; touched on PREPARE
/// answers and on UNPREPARED, never per EXECUTE. Bounded: least recently used entries go first.
public final class PreparedStatementCache: Sendable {
    public struct Statement: Sendable, Hashable {
        public var query: String
        public var keyspace: String?
        public var isIdempotent: Bool
        public init(query: String, keyspace: String?, isIdempotent: Bool) {
            self.query = query
            self.keyspace = keyspace
            self.isIdempotent = isIdempotent
        }
    }

    private struct State {
        var entries: [[UInt8]: (statement: Statement, lastUse: UInt64)] = [:]
        var clock: UInt64 = 0
    }

    public let capacity: Int
    private let state = Locked(State())

    public init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    public var count: Int { state.withLock { $0.entries.count } }

    public func insert(id: [UInt8], _ statement: Statement) {
        state.withLock { s in
            s.clock += 1
            s.entries[id] = (statement, s.clock)
            if s.entries.count > capacity {
                // Evict the oldest tenth at once, so eviction cost is amortized over many inserts.
                let victims = s.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(max(1, capacity / 10))
                for victim in victims { s.entries[victim.key] = nil }
            }
        }
    }

    public func lookup(id: [UInt8]) -> Statement? {
        state.withLock { s in
            guard var entry = s.entries[id] else { return nil }
            s.clock += 1
            entry.lastUse = s.clock
            s.entries[id] = entry
            return entry.statement
        }
    }

    /// The most recently used statements, newest first: what a fresh connection prepares up front.
    public func mostRecent(_ limit: Int) -> [Statement] {
        state.withLock { s in
            s.entries.values.sorted { $0.lastUse > $1.lastUse }.prefix(limit).map(\.statement)
        }
    }
}
