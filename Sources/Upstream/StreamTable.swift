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

    /// Client requests and the proxy's own live in separate columns: a slot of the common kind is then a
    /// plain `ClientRequest?`, which the compiler frees inline. (One enum of both went through generic
    /// value-witness calls on every completion: 8% of the proxy's instructions under load.)
    private var clients: [ClientRequest?] = Array(repeating: nil, count: 128)
    private var internals: [Int16: InternalCompletion] = [:]
    private var sentAt: [Int64] = Array(repeating: 0, count: 128)
    private var timedOut: Set<Int16> = []
    private var used: [Bool] = Array(repeating: false, count: 128)
    private var free: [Int16] = (0..<128).reversed().map { Int16($0) }
    private(set) var inFlight = 0

    var hasFreeStream: Bool { !free.isEmpty || clients.count < StreamTable.maxStreams }

    mutating func allocate(_ request: PendingRequest, now: Int64) -> StreamID? {
        if free.isEmpty {
            guard clients.count < StreamTable.maxStreams else { return nil }
            let old = clients.count
            let new = min(old * 2, StreamTable.maxStreams)
            clients.append(contentsOf: repeatElement(nil, count: new - old))
            sentAt.append(contentsOf: repeatElement(0, count: new - old))
            used.append(contentsOf: repeatElement(false, count: new - old))
            free.append(contentsOf: (old..<new).reversed().map { Int16($0) })
        }
        let id = free.removeLast()
        let index = Int(id)
        switch request {
        case .client(let request): clients[index] = request
        case .internalRequest(let completion): internals[id] = completion
        }
        used[index] = true
        sentAt[index] = now
        inFlight += 1
        return StreamID(id)
    }

    /// Frees the id; nil when nothing waits on it any more (unknown, or already timed out).
    mutating func complete(_ id: StreamID) -> PendingRequest? {
        let index = Int(id.rawValue)
        guard index >= 0, index < used.count, used[index] else { return nil }
        used[index] = false
        free.append(id.rawValue)
        let pending: PendingRequest? = if let request = clients[index] {
            .client(request)
        } else {
            internals.removeValue(forKey: id.rawValue).map { .internalRequest($0) }
        }
        clients[index] = nil
        if !timedOut.isEmpty, timedOut.remove(id.rawValue) != nil { return nil }
        inFlight -= 1
        return pending
    }

    /// Marks requests sent before `deadline` as timed out and returns them; their ids stay reserved.
    mutating func expire(sentBefore deadline: Int64) -> [PendingRequest] {
        guard inFlight > 0 else { return [] }
        var expired: [PendingRequest] = []
        for i in used.indices where used[i] && sentAt[i] < deadline && !timedOut.contains(Int16(i)) {
            timedOut.insert(Int16(i))
            inFlight -= 1
            if let request = clients[i] {
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
        for i in used.indices where used[i] && !timedOut.contains(Int16(i)) {
            if let request = clients[i] {
                pending.append(.client(request))
            } else if let completion = internals[Int16(i)] {
                pending.append(.internalRequest(completion))
            }
        }
        self = StreamTable()
        return pending
    }
}
