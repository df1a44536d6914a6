import CQLProtocol

/// Who waits for the answer on an upstream stream id.
public protocol UpstreamResponseHandler: AnyObject {
    /// A whole response frame, its stream id already rewritten to the client's. Valid only during the call.
    func upstreamDidRespond(_ frame: UnsafeMutableRawBufferPointer, header: FrameHeader, request: ClientRequest,
                            from connection: UpstreamConnection)
    /// The request will get no answer: the connection died, the request timed out, or it could not be sent.
    func upstreamDidFail(_ request: ClientRequest, error: UpstreamError, from connection: UpstreamConnection)
}

/// A client's request in flight upstream: enough to route the answer back. A class, so that the stream table
/// holds one reference and the answer hands the very object back: the proxy's session subclasses it for
/// its own bookkeeping (retries, timing) and pools the objects, so nothing is allocated per request.
open class ClientRequest {
    public final let handler: UpstreamResponseHandler
    public final var clientStream: StreamID
    public final var ordering: KeyspaceOrdering

    public init(handler: UpstreamResponseHandler, clientStream: StreamID, ordering: KeyspaceOrdering) {
        self.handler = handler
        self.clientStream = clientStream
        self.ordering = ordering
    }
}

/// How a request relates to the upstream connection's current keyspace (see `UpstreamConnection`).
public enum KeyspaceOrdering: Hashable, Sendable {
    /// Does not read the keyspace (EXECUTE, OPTIONS, or a client that never chose one).
    case independent
    /// Must run with the connection's keyspace equal to this one (QUERY, PREPARE, BATCH of a client in a keyspace).
    case dependent(String)
    /// Changes the keyspace (a client's USE): runs alone, after every dependent request has been answered.
    case barrier
}

/// A decoded answer to one of the proxy's own requests (handshake, heartbeat, USE, control queries).
public typealias InternalCompletion = (Result<ResponseMessage, UpstreamError>) -> Void

enum PendingRequest {
    case client(ClientRequest)
    case internalRequest(InternalCompletion)
}

/// Stream ids of one upstream connection: a free list over a table that grows on demand up to the
/// protocol's 32768, so an idle connection costs a few KB, not a megabyte. A request that timed out keeps
/// its id until the late answer arrives (or the connection dies): reusing it earlier would hand that late
/// answer to the wrong request.
///
/// Storage is manual (`StreamSlots`): allocate and complete run twice per request, and array storage paid
/// a uniqueness check and bounds checks per access, and a retain and release to copy a slot out.
struct StreamTable {
    static let maxStreams = 32768

    private var slots = StreamSlots(capacity: 128)
    /// The proxy's own requests (handshake, heartbeats, USE, re-prepares): rare, so a dictionary.
    private var internals: [Int16: InternalCompletion] = [:]
    private var timedOut: Set<Int16> = []
    private(set) var inFlight = 0

    var hasFreeStream: Bool { slots.freeCount > 0 || slots.capacity < StreamTable.maxStreams }

    /// A stream id for a client's request (the data path: no enum to wrap the request in).
    mutating func allocate(client request: ClientRequest, now: Int64) -> StreamID? {
        guard slots.freeCount > 0 || growSlots() else { return nil }
        let id = slots.popFree()
        slots.store(request, at: Int(id), now: now)
        inFlight += 1
        return StreamID(id)
    }

    /// A stream id for one of the proxy's own requests.
    mutating func allocate(internal completion: @escaping InternalCompletion, now: Int64) -> StreamID? {
        guard slots.freeCount > 0 || growSlots() else { return nil }
        let id = slots.popFree()
        internals[id] = completion
        slots.store(nil, at: Int(id), now: now)
        inFlight += 1
        return StreamID(id)
    }

    private func growSlots() -> Bool {
        guard slots.capacity < StreamTable.maxStreams else { return false }
        slots.grow(to: min(slots.capacity * 2, StreamTable.maxStreams))
        return true
    }

    /// Frees the id; nil when nothing waits on it any more (unknown, or already timed out).
    mutating func complete(_ id: StreamID) -> PendingRequest? {
        let index = Int(id.rawValue)
        guard index >= 0, index < slots.capacity, slots.isUsed(index) else { return nil }
        let client = slots.release(index)
        let pending: PendingRequest?
        if let client {
            pending = .client(client)
        } else {
            pending = internals.removeValue(forKey: id.rawValue).map { .internalRequest($0) }
        }
        if !timedOut.isEmpty, timedOut.remove(id.rawValue) != nil { return nil }
        inFlight -= 1
        return pending
    }

    /// Marks requests sent before `deadline` as timed out and returns them; their ids stay reserved.
    mutating func expire(sentBefore deadline: Int64) -> [PendingRequest] {
        guard inFlight > 0 else { return [] }
        var expired: [PendingRequest] = []
        for i in 0..<slots.capacity where slots.isUsed(i) && slots.sentAt(i) < deadline && !timedOut.contains(Int16(i)) {
            timedOut.insert(Int16(i))
            inFlight -= 1
            if let request = slots.client(i) {
                expired.append(.client(request))
            } else if let completion = internals[Int16(i)] {
                expired.append(.internalRequest(completion))
            }
        }
        return expired
    }

    /// Empties the table, returning what was still waiting.
    mutating func removeAll() -> [PendingRequest] {
        var pending: [PendingRequest] = []
        for i in 0..<slots.capacity where slots.isUsed(i) && !timedOut.contains(Int16(i)) {
            if let request = slots.client(i) {
                pending.append(.client(request))
            } else if let completion = internals[Int16(i)] {
                pending.append(.internalRequest(completion))
            }
        }
        self = StreamTable()
        return pending
    }
}

/// The stream table's slots in manually managed memory. Reference semantics: a `StreamTable` is never
/// copied (it lives in its connection), so no copy-on-write is needed, and none is paid for. One record per
/// id (request, time sent, in use): an answer's lookup touches one cache line, not one per column.
final class StreamSlots {
    struct Slot {
        var client: ClientRequest?
        var sentAt: Int64
        var used: Bool
    }

    private(set) var capacity = 0
    private(set) var freeCount = 0
    private var slots: UnsafeMutablePointer<Slot>
    private var free: UnsafeMutablePointer<Int16>

    init(capacity: Int) {
        slots = .allocate(capacity: 0)
        free = .allocate(capacity: 0)
        grow(to: capacity)
    }

    deinit {
        slots.deinitialize(count: capacity)
        slots.deallocate()
        free.deallocate()
    }

    /// Adds ids `capacity..<newCapacity`, free, handed out lowest first.
    func grow(to newCapacity: Int) {
        let old = capacity
        let grown = UnsafeMutablePointer<Slot>.allocate(capacity: newCapacity)
        grown.moveInitialize(from: slots, count: old)
        (grown + old).initialize(repeating: Slot(client: nil, sentAt: 0, used: false), count: newCapacity - old)
        slots.deallocate()
        slots = grown
        let newFree = UnsafeMutablePointer<Int16>.allocate(capacity: newCapacity)
        newFree.moveInitialize(from: free, count: freeCount)
        free.deallocate()
        free = newFree
        for id in (old..<newCapacity).reversed() {
            free[freeCount] = Int16(id)
            freeCount += 1
        }
        capacity = newCapacity
    }

    @inline(__always) func popFree() -> Int16 {
        freeCount -= 1
        return free[freeCount]
    }

    @inline(__always) func isUsed(_ i: Int) -> Bool { slots[i].used }
    @inline(__always) func sentAt(_ i: Int) -> Int64 { slots[i].sentAt }
    @inline(__always) func client(_ i: Int) -> ClientRequest? { slots[i].client }

    /// Fills free slot `i`. A free slot holds no request (`release` moved it out, `grow` made it empty), so
    /// it is initialized over, not assigned: no release of the nil that was there.
    @inline(__always) func store(_ request: ClientRequest?, at i: Int, now: Int64) {
        (slots + i).initialize(to: Slot(client: request, sentAt: now, used: true))
    }

    /// Frees slot `i`, moving its client request out (no retain and release to copy it).
    @inline(__always) func release(_ i: Int) -> ClientRequest? {
        free[freeCount] = Int16(i)
        freeCount += 1
        let slot = slots + i
        slot.pointee.used = false
        return slot.pointee.client.take()
    }
}
