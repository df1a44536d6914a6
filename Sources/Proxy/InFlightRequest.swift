import CQLProtocol
import EventLoop
import Upstream

/// A forwarded request the session may have to send again: after a retryable error, a lost connection,
/// or an UNPREPARED answer. Holds a copy of the client's frame; everything else is derived from it lazily,
/// on the cold path, so the common case pays one copy and no parsing. It is also what the upstream
/// connection keeps for the stream id it used (`ClientRequest`), and gets back with the answer.
final class InFlightRequest: ClientRequest {
    // What an answer touches comes first, on one cache line with the base class's tail: with thousands of
    // requests in flight, each answer's first touch of its request is a cache miss, and one beats three.
    /// The loop's time when the request came in (`EventLoop.now`).
    private(set) var startedAt: Int64
    private(set) var header: FrameHeader
    private(set) var tag: UInt32
    /// The session's free list (`Pool`), linked through the objects themselves.
    fileprivate var nextFree: InFlightRequest?
    /// The client's frame, in memory of its own (malloc'd, grown on demand, kept across reuses).
    private var bytes: UnsafeMutableRawPointer
    private var byteCapacity: Int
    private(set) var frameCount = 0
    var attempt = 1
    /// Bumped each time the object is reused for another request: a callback that outlived its request
    /// (a re-prepare) compares it, so it cannot act on the next one.
    private(set) var generation: UInt64 = 0
    /// Prepared ids already re-prepared for this request: each at most once, so a node that keeps
    /// forgetting cannot loop us.
    var reprepared: Set<[UInt8]> = []

    init(session: UpstreamResponseHandler, frame: UnsafeMutableRawBufferPointer, header: FrameHeader,
         ordering: KeyspaceOrdering, tag: UInt32, now: Int64) {
        byteCapacity = max(frame.count, 64)
        bytes = .allocate(byteCount: byteCapacity, alignment: 8)
        self.header = header
        self.tag = tag
        startedAt = now
        super.init(handler: session, clientStream: header.stream, ordering: ordering)
        copyFrame(frame)
    }

    deinit { bytes.deallocate() }

    /// Makes a finished request the next one, keeping the frame's storage (see `InFlightRequest.Pool`).
    func reuse(frame: UnsafeMutableRawBufferPointer, header: FrameHeader, ordering: KeyspaceOrdering, tag: UInt32,
               now: Int64) {
        copyFrame(frame)
        self.header = header
        clientStream = header.stream
        // Nearly always independent both times: then no enum (a String payload) to copy in and destroy.
        if case .independent = ordering, case .independent = self.ordering {} else { self.ordering = ordering }
        self.tag = tag
        attempt = 1
        startedAt = now
        generation &+= 1
        if !reprepared.isEmpty { reprepared = [] }
    }

    private func copyFrame(_ frame: UnsafeMutableRawBufferPointer) {
        if frame.count > byteCapacity {
            bytes.deallocate()
            byteCapacity = frame.count
            bytes = .allocate(byteCount: byteCapacity, alignment: 8)
        }
        if let source = frame.baseAddress { bytes.copyMemory(from: source, byteCount: frame.count) }
        frameCount = frame.count
    }

    /// The frame as sent (the upstream rewrites its stream id in place). Valid until the next `reuse`.
    var frame: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: bytes, count: frameCount) }

    /// Finished requests of one session, reused for its next ones: an object and its frame's storage per
    /// request were 10% of the proxy's instructions (allocation, and freeing on the runtime's slow path).
    /// A list through the objects: taking and giving back touch no array.
    struct Pool {
        private var head: InFlightRequest?
        private var count = 0
        /// As many as a pipelining driver keeps in flight on one connection (128 for the bench's deepest
        /// load), each with at most 1 KiB of frame storage: at most ~150 KiB for the busiest session.
        private static let keep = 128
        private static let largestKeptFrame = 1024

        mutating func take(session: UpstreamResponseHandler, frame: UnsafeMutableRawBufferPointer, header: FrameHeader,
                           ordering: KeyspaceOrdering, tag: UInt32, now: Int64) -> InFlightRequest {
            guard let request = head else {
                return InFlightRequest(session: session, frame: frame, header: header, ordering: ordering, tag: tag, now: now)
            }
            head = request.nextFree.take()
            count -= 1
            request.reuse(frame: frame, header: header, ordering: ordering, tag: tag, now: now)
            return request
        }

        /// Takes back a finished request, once nothing of the session will use it again. A re-prepare
        /// callback may still hold it: it checks `generation`, so the reuse cannot mislead it.
        mutating func give(_ request: consuming InFlightRequest) {
            guard count < Self.keep, request.byteCapacity <= Self.largestKeptFrame else { return }
            request.nextFree = head.take()
            head = consume request
            count += 1
        }

        /// Lets go of every pooled request (each holds its session: the cycle ends here when the session closes).
        mutating func removeAll() {
            while let request = head {
                head = request.nextFree.take()
            }
            count = 0
        }
    }

    var keyspace: String? {
        if case .dependent(let ks) = ordering { return ks }
        return nil
    }

    /// The message body, after any envelope.
    func withMessageBody<R>(_ body: (UnsafeRawBufferPointer) -> R?) -> R? {
        guard let message = frame.messageBody(header) else { return nil }
        return body(message)
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
        let raw = UnsafeRawBufferPointer(frame)
        var reader = CQLReader(UnsafeRawBufferPointer(rebasing: raw[FrameHeader.size...]))
        guard let envelope = try? FrameEnvelope.read(&reader, header: header) else { return false }
        return envelope.customPayload?.keys.contains { $0.hasPrefix("graph-") } ?? false
    }

    /// The text of a PREPARE.
    var prepareQuery: String? {
        let version = header.protocolVersion
        return withMessageBody { (try? PrepareView(body: $0, version: version))?.query }
    }
}
