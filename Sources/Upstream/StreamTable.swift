import CQLProtocol

/// Who waits for the answer on an upstream stream id.
public protocol UpstreamResponseHandler: AnyObject {
    /// A whole response frame, its stream id already rewritten to the client's. Valid only during the call.
    func upstreamDidRespond(_ frame: UnsafeMutableRawBufferPointer, header: FrameHeader, request: ClientRequest,
                            from connection: UpstreamConnection)
    /// The request will get no answer: the connection died, the request timed out, or it could not be sent.
    func upstreamDidFail(_ request: ClientRequest, error: UpstreamError, from connection: UpstreamConnection)
}

/// A client's request in flight upstream: enough to route the answer back, and nothing more.
public struct ClientRequest {
    public let handler: UpstreamResponseHandler
    public let clientStream: StreamID
    public let opcode: UInt8
    public let ordering: KeyspaceOrdering
    /// For the handler's own bookkeeping.
    public let tag: UInt32

    public init(handler: UpstreamResponseHandler, clientStream: StreamID, opcode: UInt8,
                ordering: KeyspaceOrdering, tag: UInt32 = 0) {
        self.handler = handler
        self.clientStream = clientStream
        self.opcode = opcode
        self.ordering = ordering
        self.tag = tag
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
struct StreamTable {
    static let maxStreams = 32768

    private struct Slot {
        var request: PendingRequest
        var sentAt: Int64
        var timedOut = false
    }

    private var entries: [Slot?] = Array(repeating: nil, count: 128)
    private var free: [Int16] = (0..<128).reversed().map { Int16($0) }
    private(set) var inFlight = 0

    var hasFreeStream: Bool { !free.isEmpty || entries.count < StreamTable.maxStreams }

    mutating func allocate(_ request: PendingRequest, now: Int64) -> StreamID? {
        if free.isEmpty {
            guard entries.count < StreamTable.maxStreams else { return nil }
            let old = entries.count
            let new = min(old * 2, StreamTable.maxStreams)
            entries.append(contentsOf: repeatElement(nil, count: new - old))
            free.append(contentsOf: (old..<new).reversed().map { Int16($0) })
        }
        let id = free.removeLast()
        entries[Int(id)] = Slot(request: request, sentAt: now)
        inFlight += 1
        return StreamID(id)
    }

    /// Frees the id; nil when nothing waits on it any more (unknown, or already timed out).
    mutating func complete(_ id: StreamID) -> PendingRequest? {
        let index = Int(id.rawValue)
        guard index >= 0, index < entries.count, let slot = entries[index] else { return nil }
        entries[index] = nil
        free.append(id.rawValue)
        if slot.timedOut { return nil }
        inFlight -= 1
        return slot.request
    }

    /// Marks requests sent before `deadline` as timed out and returns them; their ids stay reserved.
    mutating func expire(sentBefore deadline: Int64) -> [PendingRequest] {
        guard inFlight > 0 else { return [] }
        var expired: [PendingRequest] = []
        for i in entries.indices {
            guard let slot = entries[i], !slot.timedOut, slot.sentAt < deadline else { continue }
            entries[i]!.timedOut = true
            inFlight -= 1
            expired.append(slot.request)
        }
        return expired
    }

    /// Empties the table, returning what was still waiting.
    mutating func removeAll() -> [PendingRequest] {
        let pending = entries.compactMap { $0 }.filter { !$0.timedOut }.map(\.request)
        entries = Array(repeating: nil, count: 128)
        free = (0..<128).reversed().map { Int16($0) }
        inFlight = 0
        return pending
    }
}
