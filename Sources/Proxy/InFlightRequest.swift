import CQLProtocol
import EventLoop
import Upstream

/// A forwarded request the session may have to send again: after a retryable error, a lost connection,
/// or an UNPREPARED answer. Holds the client's frame bytes; everything else is derived from them lazily,
/// on the cold path, so the common case pays one copy and no parsing.
final class InFlightRequest {
    var frame: [UInt8]
    private(set) var header: FrameHeader
    private(set) var ordering: KeyspaceOrdering
    private(set) var tag: UInt32
    var attempt = 1
    private(set) var startedAt = MonotonicClock.now()
    /// Bumped each time the object is reused for another request: a callback that outlived its request
    /// (a re-prepare) compares it, so it cannot act on the next one.
    private(set) var generation: UInt64 = 0
    /// Prepared ids already re-prepared for this request: each at most once, so a node that keeps
    /// forgetting cannot loop us.
    var reprepared: Set<[UInt8]> = []

    init(frame: UnsafeMutableRawBufferPointer, header: FrameHeader, ordering: KeyspaceOrdering, tag: UInt32) {
        self.frame = Array(frame)
        self.header = header
        self.ordering = ordering
        self.tag = tag
    }

    /// Makes a finished request the next one, keeping the frame's storage (see `InFlightRequest.Pool`).
    func reuse(frame bytes: UnsafeMutableRawBufferPointer, header: FrameHeader, ordering: KeyspaceOrdering, tag: UInt32) {
        frame.removeAll(keepingCapacity: true)
        frame.append(contentsOf: bytes)
        self.header = header
        self.ordering = ordering
        self.tag = tag
        attempt = 1
        startedAt = MonotonicClock.now()
        generation &+= 1
        if !reprepared.isEmpty { reprepared = [] }
    }

    /// Finished requests of one session, reused for its next ones: an object and its frame's storage per
    /// request were 10% of the proxy's instructions (allocation, and freeing on the runtime's slow path).
    struct Pool {
        private var free: [InFlightRequest] = []
        /// As many as a pipelining driver keeps in flight on one connection (128 for the bench's deepest
        /// load), each with at most 1 KiB of frame storage: at most ~150 KiB for the busiest session.
        private static let keep = 128
        private static let largestKeptFrame = 1024

        mutating func take(frame: UnsafeMutableRawBufferPointer, header: FrameHeader, ordering: KeyspaceOrdering,
                           tag: UInt32) -> InFlightRequest {
            guard let request = free.popLast() else {
                return InFlightRequest(frame: frame, header: header, ordering: ordering, tag: tag)
            }
            request.reuse(frame: frame, header: header, ordering: ordering, tag: tag)
            return request
        }

        /// Takes back a finished request, once nothing of the session will use it again. A re-prepare
        /// callback may still hold it: it checks `generation`, so the reuse cannot mislead it.
        mutating func give(_ request: InFlightRequest) {
            guard free.count < Self.keep, request.frame.capacity <= Self.largestKeptFrame else { return }
            free.append(request)
        }
    }

    var keyspace: String? {
        if case .dependent(let ks) = ordering { return ks }
        return nil
    }

    /// The message body, after any envelope.
    func withMessageBody<R>(_ body: (UnsafeRawBufferPointer) -> R?) -> R? {
        frame.withUnsafeMutableBytes { raw in
            guard let message = raw.messageBody(header) else { return nil }
            return body(message)
        }
    }

    /// Whether sending it twice is harmless (cql-proxy-compat.md): decided from the query text, or for
    /// prepared statements from the text they were prepared with.
    func isIdempotent(cache: PreparedStatementCache, graphIsIdempotent: Bool = false) -> Bool {
        let version = header.protocolVersion
        if graphIsIdempotent && isGraphRequest { return true }
        switch header.knownOpcode {
        case .query?:
            return withMessageBody { (try? QueryView(body: $0, version: version)).map { Idempotency.isIdempotent($0.query) } } ?? false
        case .execute?:
            guard let view = withMessageBody({ try? ExecuteView(body: $0, version: version) }) else { return false }
            return cache.lookup(id: view.preparedID)?.isIdempotent ?? false
        case .batch?:
            guard let view = withMessageBody({ try? BatchView(body: $0, version: version) }) else { return false }
            return view.statements.allSatisfy { child in
                switch child {
                case .query(let text): return Idempotency.isIdempotent(text)
                case .prepared(let id): return cache.lookup(id: id)?.isIdempotent ?? false
                }
            }
        default:
            return false
        }
    }

    /// DSE graph requests say so in their custom payload (`graph-language`, `graph-source`, ...).
    var isGraphRequest: Bool {
        guard header.flags.contains(.customPayload) else { return false }
        return frame.withUnsafeBytes { raw in
            var reader = CQLReader(UnsafeRawBufferPointer(rebasing: raw[FrameHeader.size...]))
            guard let envelope = try? FrameEnvelope.read(&reader, header: header) else { return false }
            return envelope.customPayload?.keys.contains { $0.hasPrefix("graph-") } ?? false
        }
    }

    /// The text of a PREPARE.
    var prepareQuery: String? {
        let version = header.protocolVersion
        return withMessageBody { (try? PrepareView(body: $0, version: version))?.query }
    }
}
