import CQLProtocol
import EventLoop
import Upstream

/// Requests that go upstream: the frame leaves as it came, but for its stream id.
extension ClientSession {
    static let useTag: UInt32 = 1
    /// Where clients without a keyspace prepare (it always exists).
    static let neutralKeyspace = "system"

    func route(_ opcode: Opcode, _ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        switch opcode {
        case .query:
            // Most queries are forwarded on a glance at their raw text; only a candidate for interception
            // (USE, a SELECT mentioning "system") is decoded.
            guard let body = frame.messageBody(header), let text = QueryView.queryBytes(body: body) else {
                replyRefusal(.protocolError("Malformed QUERY body"), stream: header.stream)
                return
            }
            guard InterceptedStatement.mightIntercept(utf8: text, inSystemKeyspace: inSystemKeyspace) else {
                forward(header, frame, ordering: keyspaceOrdering)
                return
            }
            routeCandidate(header, frame, body)
        case .prepare:
            // Nodes derive a prepared id from the query and the session's keyspace. Connections are shared,
            // so a client without a keyspace prepares under a fixed one ("system"), never under whatever
            // another client left the connection in: the same statement then has the same id on every node
            // and connection, and re-preparing it anywhere reproduces it.
            forward(header, frame, ordering: .dependent(keyspace ?? Self.neutralKeyspace))
        case .batch:
            forward(header, frame, ordering: keyspaceOrdering)
        case .execute where !usePreparedIDs.isEmpty:
            routeExecuteMaybeUse(header, frame)
        default:
            forward(header, frame, ordering: .independent)
        }
    }

    /// EXECUTE of a prepared USE changes the connection's keyspace: it runs as a barrier, like USE.
    @inline(never)
    private func routeExecuteMaybeUse(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        let id = frame.messageBody(header).flatMap { try? ExecuteView(body: $0, version: header.protocolVersion) }?.preparedID
        if let id, usePreparedIDs.contains(id) {
            forward(header, frame, ordering: .barrier, tag: Self.useTag)
        } else {
            forward(header, frame, ordering: .independent)
        }
    }

    /// A QUERY that may be a USE or a SELECT of a system table: decoded, and answered or forwarded.
    @inline(never)
    private func routeCandidate(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer, _ body: UnsafeRawBufferPointer) {
        guard let view = try? QueryView(body: body, version: header.protocolVersion) else {
            replyRefusal(.protocolError("Malformed QUERY body"), stream: header.stream)
            return
        }
        switch InterceptedStatement.classify(view.query, currentKeyspace: keyspace) {
        case .systemSelect(let select)?:
            answerSystemSelect(select, stream: header.stream)
        case .use?:
            forward(header, frame, ordering: .barrier, tag: Self.useTag)
        case nil:
            forward(header, frame, ordering: keyspaceOrdering)
        }
    }

    private func forward(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer,
                         ordering: KeyspaceOrdering, tag: UInt32 = 0) {
        guard inFlight.count < context.config.maxInFlightPerClient else {
            refuseOverLimit(stream: header.stream)
            return
        }
        let request = requestPool.take(session: self, frame: frame, header: header, ordering: ordering, tag: tag,
                                       now: context.loop.now)
        // The pool's reference moves into the map, which then keeps the request alive while it is sent: no
        // retain and release around the send. (A request refused for its stream id is freed, not pooled.)
        let sending = Unmanaged.passUnretained(request)
        guard inFlight.insertIfAbsent(header.stream.rawValue, consume request) else {
            replyRefusal(.protocolError("Stream id \(header.stream) is already in use"), stream: header.stream)
            return
        }
        sending._withUnsafeGuaranteedRef { send($0, avoiding: nil) }
    }

    // The refusals are out of line: the data path's functions are then not sized for building their messages.

    @inline(never)
    private func replyRefusal(_ error: @autoclosure () -> ErrorMessage, stream: StreamID) {
        reply(.error(error()), stream: stream)
    }

    @inline(never)
    private func refuseOverLimit(stream: StreamID) {
        context.metrics.limitReached("in_flight_per_client")
        reply(.error(.overloaded("Too many requests in flight on this connection (limit \(context.config.maxInFlightPerClient))")),
              stream: stream)
    }

    /// Sends (or sends again) on a connection of the pool, preferring another node than `avoiding`.
    func send(_ request: InFlightRequest, avoiding: UpstreamConnection?, on chosen: UpstreamConnection? = nil) {
        // The data path: a first attempt that may go anywhere, with no retain of the pool or the connection
        // (the session holds the pool; the pool's node holds the connection, and sending never closes it).
        // The general loop below paid four retain and release pairs more.
        if avoiding == nil, chosen == nil, case .independent = request.ordering, let poolAccess,
           let next = poolAccess._withUnsafeGuaranteedRef({ $0.pickAnyUnretained() }),
           next._withUnsafeGuaranteedRef({ upstream in
               guard upstream.send(request.frame, request: request) else { return false }
               if upstream.isWriteBackedUp { waitForUpstream(upstream) }
               return true
           }) {
            return
        }
        sendSlowly(request, avoiding: avoiding, on: chosen)
    }

    /// Retries, re-sends, a session's first request, a keyspace's ordering: all but the data path.
    @inline(never)
    private func sendSlowly(_ request: InFlightRequest, avoiding: UpstreamConnection?, on chosen: UpstreamConnection?) {
        let version = request.header.protocolVersion
        let pool: ConnectionPool
        if let cached = upstreamPool {
            pool = cached
        } else {
            guard let found = context.upstream.pool(on: context.loop, version: version) else {
                finish(request, .serverError("No upstream connection for protocol v\(version.rawValue) yet"))
                return
            }
            // A loop's pool for a version, once made, stays for the process's life; a session has one version.
            upstreamPool = found
            pool = found
        }
        // A connection whose stream ids are exhausted refuses; the pool then offers the next node.
        for _ in 0..<3 {
            guard let upstream = chosen ?? pool.pick(for: request.ordering, avoiding: avoiding?.host.hostID) else { break }
            if upstream.send(request.frame, request: request) {
                if upstream.isWriteBackedUp { waitForUpstream(upstream) }
                return
            }
            if chosen != nil { break }
        }
        finish(request, .overloaded("No upstream connection available"))
    }

    /// Answers the client with an error of the proxy's own and forgets the request.
    func finish(_ request: InFlightRequest, _ error: ErrorMessage) {
        let stream = request.header.stream
        // Owned from here: the map's reference may be the last one (`forward` sends through an unretained one).
        let removed = inFlight.remove(stream.rawValue, ifIdenticalTo: request)
        reply(.error(error), stream: stream)
        if isOpen, let removed { requestPool.give(removed) }   // a closed session keeps no pool (it would hold the session)
    }
}

extension ClientSession: UpstreamResponseHandler {
    func upstreamDidRespond(_ frame: UnsafeMutableRawBufferPointer, header: FrameHeader, request message: ClientRequest,
                            from upstream: UpstreamConnection) {
        // The upstream hands back what `send` gave it: one of this session's requests.
        let request = unsafeDowncast(message, to: InFlightRequest.self)
        guard isOpen else { return }
        if header.opcode == Opcode.error.rawValue, handleErrorAnswer(frame, header, request, from: upstream) { return }
        // The map's reference goes back to the pool below: no retain to give it back.
        guard let finished = inFlight.remove(request.clientStream.rawValue, ifIdenticalTo: request) else { return }
        context.latency.record(nanoseconds: context.loop.now - request.startedAt)
        if header.opcode == Opcode.result.rawValue {
            // Only a USE's or a PREPARE's answer teaches anything: the others (nearly all) are not looked into.
            if request.tag == Self.useTag || request.header.opcode == Opcode.prepare.rawValue,
               let body = frame.messageBody(header) {
                noteResult(body, of: request)
            }
        } else if header.opcode == Opcode.error.rawValue {
            countError(frame, header)
        }
        writeToClient(UnsafeRawBufferPointer(frame))
        if isOpen { requestPool.give(consume finished) }   // a closed session keeps no pool (it would hold the session)
        checkOwnBackPressure()
    }

    /// An ERROR answer: true when it was dealt with here (a stale answer, a retry, a re-prepare), so the
    /// client must not see it.
    @inline(never)
    private func handleErrorAnswer(_ frame: UnsafeMutableRawBufferPointer, _ header: FrameHeader, _ request: InFlightRequest,
                                   from upstream: UpstreamConnection) -> Bool {
        guard inFlight[request.clientStream.rawValue] === request else { return true }
        guard let body = frame.messageBody(header), let error = try? CQLReader.readError(body, version: header.protocolVersion) else {
            return false
        }
        return handleError(error, request: request, from: upstream)
    }

    @inline(never)
    private func countError(_ frame: UnsafeMutableRawBufferPointer, _ header: FrameHeader) {
        guard let body = frame.messageBody(header), body.count >= 4 else { return }
        context.metrics.error(code: ErrorCode(rawValue: Int32(bitPattern: UInt32(body[0]) << 24 | UInt32(body[1]) << 16 | UInt32(body[2]) << 8 | UInt32(body[3]))))
    }

    func upstreamDidFail(_ message: ClientRequest, error: UpstreamError, from upstream: UpstreamConnection) {
        let request = unsafeDowncast(message, to: InFlightRequest.self)
        guard isOpen, inFlight[request.clientStream.rawValue] === request else { return }
        switch error {
        case .keyspaceUnavailable(let ks, let why):
            finish(request, ErrorMessage(code: .invalid, message: "Keyspace '\(ks)' is not usable: \(why)"))
        case .noConnectionAvailable:
            retryOrFinish(request, from: upstream, error: .overloaded("No upstream connection available"))
        default:
            let idempotent = request.isIdempotent(cache: context.upstream.preparedCache, graphIsIdempotent: context.config.idempotentGraph)
            if RetryPolicy.decideLost(idempotent: idempotent, attempt: request.attempt) == .nextNode {
                request.attempt += 1
                context.metrics.retried()
                send(request, avoiding: upstream)
            } else {
                let why = idempotent ? "" : " (not retried: the request is not idempotent)"
                finish(request, .serverError("Upstream request failed: \(error)\(why)"))
            }
        }
    }

    private func retryOrFinish(_ request: InFlightRequest, from upstream: UpstreamConnection, error: ErrorMessage) {
        guard request.attempt < RetryPolicy.maxAttempts else { finish(request, error); return }
        request.attempt += 1
        send(request, avoiding: upstream)
    }

    /// True when the error was handled by re-preparing or retrying, so the client must not see it.
    private func handleError(_ error: ErrorMessage, request: InFlightRequest, from upstream: UpstreamConnection) -> Bool {
        let cache = context.upstream.preparedCache
        if error.code == .unprepared, case .unprepared(let id) = error.details {
            guard !request.reprepared.contains(id), let statement = cache.lookup(id: id) else { return false }
            request.reprepared.insert(id)
            reprepare(statement, request: request, on: upstream)
            return true
        }
        let decision = RetryPolicy.decide(error, idempotent: request.isIdempotent(cache: cache, graphIsIdempotent: context.config.idempotentGraph), attempt: request.attempt)
        switch decision {
        case .giveUp:
            return false
        case .sameNode:
            request.attempt += 1
            context.metrics.retried()
            send(request, avoiding: nil, on: upstream)
        case .nextNode:
            request.attempt += 1
            context.metrics.retried()
            send(request, avoiding: upstream)
        }
        return true
    }

    /// The node forgot a statement the proxy knows: prepare it there again, then resend the request,
    /// so the client never sees the UNPREPARED.
    private func reprepare(_ statement: PreparedStatementCache.Statement, request: InFlightRequest,
                           on upstream: UpstreamConnection) {
        let ordering: KeyspaceOrdering = statement.keyspace.map { .dependent($0) } ?? .independent
        let generation = request.generation
        // Strong: the upstream answers or fails every request it holds, and a weak reference would put every
        // later retain of this session on the runtime's slow path.
        upstream.sendInternal(.prepare(PrepareRequest(query: statement.query)), ordering: ordering) { result in
            guard self.isOpen, request.generation == generation,
                  self.inFlight[request.header.stream.rawValue] === request else { return }
            switch result {
            case .success(.result(.prepared)):
                self.send(request, avoiding: nil, on: upstream.isReady ? upstream : nil)
            case .success(.error(let error)):
                self.finish(request, error)
            default:
                self.send(request, avoiding: upstream)
            }
        }
    }

    /// Remembers what a successful answer teaches: the keyspace after USE, the text behind a prepared id.
    private func noteResult(_ body: UnsafeRawBufferPointer, of request: InFlightRequest) {
        var reader = CQLReader(body)
        guard let kind = try? reader.readInt() else { return }
        switch kind {
        case 3 where request.tag == Self.useTag:
            if let name = try? reader.readString() { keyspace = name }
        case 4 where request.header.knownOpcode == .prepare:
            guard let id = try? reader.readShortBytes(), let query = request.prepareQuery else { return }
            if case .use? = InterceptedStatement.classify(query) { usePreparedIDs.insert(id) }
            let statement = PreparedStatementCache.Statement(
                query: query, keyspace: request.keyspace, isIdempotent: Idempotency.isIdempotent(query))
            context.upstream.preparedCache.insert(id: id, statement)
            context.metrics.preparedCacheSize(context.upstream.preparedCache.count)
        default:
            break
        }
    }
}

extension CQLReader {
    /// The ERROR message of a response body.
    static func readError(_ body: UnsafeRawBufferPointer, version: ProtocolVersion) throws -> ErrorMessage {
        var reader = CQLReader(body)
        return try ErrorMessage.read(&reader, version: version)
    }
}

extension ErrorMessage {
    static func overloaded(_ message: String) -> ErrorMessage { ErrorMessage(code: .overloaded, message: message) }
}
