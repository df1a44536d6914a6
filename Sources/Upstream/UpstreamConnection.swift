import CQLProtocol
import EventLoop
import Foundation
import Metrics
import Posix
import Transport

/// One connection to one upstream node, shared by many clients of the same loop and protocol version.
///
/// Keyspaces: CQL v3/v4 have no per-request keyspace, so a connection has one current keyspace, set by USE.
/// Rather than one connection set per keyspace (what the Go proxy does, never evicted), each connection tracks
/// its keyspace and switches on demand: requests that read it (`.dependent`) are sent at once when it
/// matches; otherwise they wait, in order, until the dependent requests in flight are answered, an internal
/// USE has switched the connection, and then go. A client's own USE is a `.barrier` that runs alone.
/// Nodes may execute one connection's requests concurrently, which is why a switch waits for the
/// in-flight dependents instead of pipelining the USE in front of them.
public final class UpstreamConnection: ConnectionDelegate {
    public let host: UpstreamHost
    public let version: ProtocolVersion
    public let loop: EventLoop
    private let connection: Connection
    private let config: UpstreamConfig
    private var streams = StreamTable()
    private var handshake: Handshake?
    public private(set) var isReady = false
    public private(set) var isClosed = false

    /// The keyspace the node's session for this connection is in.
    public private(set) var keyspace: String?
    private var barrierInFlight = false
    private var dependentInFlight = 0
    private var parked: [Parked] = []

    /// A request waiting for the connection's keyspace: a client's frame (copied) or one of our own.
    private enum Parked {
        case client([UInt8], ClientRequest)
        case internalRequest(RequestMessage, KeyspaceOrdering, InternalCompletion)

        var ordering: KeyspaceOrdering {
            switch self {
            case .client(_, let request): return request.ordering
            case .internalRequest(_, let ordering, _): return ordering
            }
        }
    }

    /// Per node, summed over every loop's connections to it. Moved by the difference since the last report,
    /// once per read and per sweep rather than twice per request (an atomic compare-and-swap loop on a Double).
    private let inFlightMeter: Meter
    private var clientInFlight = 0
    private var reportedInFlight = 0
    private let openMeter: Meter
    private var heartbeat: TimerHandle?
    private var sweep: TimerHandle?
    private var lastHeardAt = MonotonicClock.now()
    private var drainWaiters: [() -> Void] = []

    /// Set by the owner: called once when the connection is gone.
    public var onClose: ((UpstreamConnection, UpstreamError) -> Void)?
    /// Server-pushed EVENTs (only connections that sent REGISTER get them).
    public var onEvent: ((EventMessage) -> Void)?

    /// Connects, runs STARTUP (and authentication), then calls `completion` on `loop`.
    public static func open(
        host: UpstreamHost, version: ProtocolVersion, config: UpstreamConfig, loop: EventLoop,
        completion: @escaping (Result<UpstreamConnection, UpstreamError>) -> Void
    ) {
        func established(_ connection: Connection) {
            let upstream = UpstreamConnection(host: host, version: version, connection: connection, config: config)
            upstream.startHandshake(completion)
        }
        if let tls = config.tls {
            TLSConnector.connect(to: host.address, on: loop, context: tls.context, serverName: host.endpoint.serverName,
                                 expectedHostName: tls.expectedHostName, timeout: config.connectTimeout) { result in
                switch result {
                case .failure(let error): completion(.failure(.tls(error)))
                case .success(let connection): established(connection)
                }
            }
        } else {
            TCPConnector.connect(to: host.address, on: loop, timeout: config.connectTimeout) { result in
                switch result {
                case .failure(let error): completion(.failure(.transport(error)))
                case .success(let connection): established(connection)
                }
            }
        }
    }

    init(host: UpstreamHost, version: ProtocolVersion, connection: Connection, config: UpstreamConfig) {
        self.host = host
        self.version = version
        self.connection = connection
        self.loop = connection.loop
        self.config = config
        let node = [("node", host.hostID.uuidString.lowercased()), ("address", host.address.description)]
        inFlightMeter = Meter(label: "cql_proxy_upstream_in_flight", dimensions: node)
        openMeter = Meter(label: "cql_proxy_upstream_connections", dimensions: node)
        connection.delegate = self
    }

    public var inFlight: Int { streams.inFlight }
    public var hasFreeStream: Bool { streams.hasFreeStream }
    public var isWriteBackedUp: Bool { connection.isWriteBackedUp }

    /// Whether a request for `keyspace` would leave at once on this connection.
    public func isImmediate(for ordering: KeyspaceOrdering) -> Bool {
        switch ordering {
        case .independent: return true
        case .dependent(let ks): return parked.isEmpty && !barrierInFlight && keyspace == ks
        case .barrier: return parked.isEmpty && !barrierInFlight && dependentInFlight == 0
        }
    }

    // MARK: Client requests

    /// Sends a client's frame, rewriting its stream id in place. False when no stream id is free.
    public func send(_ frame: UnsafeMutableRawBufferPointer, request: ClientRequest) -> Bool {
        guard isReady, streams.hasFreeStream else { return false }
        if isImmediate(for: request.ordering) {
            return transmit(frame, request: request)
        }
        parked.append(.client(Array(frame), request))
        pump()
        return true
    }

    @discardableResult
    private func transmit(_ frame: UnsafeMutableRawBufferPointer, request: ClientRequest) -> Bool {
        guard let stream = streams.allocate(client: request, now: loop.now) else { return false }
        switch request.ordering {
        case .independent: break
        case .dependent: dependentInFlight += 1
        case .barrier: barrierInFlight = true
        }
        FrameHeader.writeStreamID(stream, into: frame)
        connection.write(UnsafeRawBufferPointer(frame))
        clientInFlight += 1
        return true
    }

    /// Sends parked requests, in order, as far as the keyspace rules allow.
    private func pump() {
        while let first = parked.first {
            switch first.ordering {
            case .independent:
                break
            case .dependent(let ks):
                if barrierInFlight { return }
                if ks != keyspace {
                    if dependentInFlight > 0 { return }
                    switchKeyspace(to: ks)
                    return
                }
            case .barrier:
                if barrierInFlight || dependentInFlight > 0 { return }
            }
            switch parked.removeFirst() {
            case .client(var bytes, let request):
                let sent = bytes.withUnsafeMutableBytes { transmit($0, request: request) }
                if !sent { request.handler.upstreamDidFail(request, error: .noConnectionAvailable, from: self) }
            case .internalRequest(let message, let ordering, let completion):
                transmitInternal(message, ordering: ordering, completion: completion)
            }
        }
    }

    private func fail(_ entry: Parked, _ error: UpstreamError) {
        switch entry {
        case .client(_, let request): request.handler.upstreamDidFail(request, error: error, from: self)
        case .internalRequest(_, _, let completion): completion(.failure(error))
        }
    }

    private func switchKeyspace(to ks: String) {
        barrierInFlight = true
        let query = "USE \"\(ks.replacingOccurrences(of: "\"", with: "\"\""))\""
        let message = RequestMessage.query(QueryRequest(query: query, parameters: QueryParameters(consistency: .one)))
        sendInternal(message) { result in   // strong: see transmitInternal
            self.barrierInFlight = false
            if case .success(.result(.setKeyspace(let name))) = result {
                self.keyspace = name
            } else {
                // The keyspace is gone (or the node refused): answer everyone who waited for it.
                let why: String
                switch result {
                case .success(.error(let e)): why = e.message
                case .failure(let e): why = e.description
                default: why = "unexpected answer to USE"
                }
                let failed = self.parked.filter { $0.ordering == .dependent(ks) }
                self.parked.removeAll { $0.ordering == .dependent(ks) }
                for entry in failed { self.fail(entry, .keyspaceUnavailable(ks, why)) }
            }
            self.pump()
        }
    }

    // MARK: Internal requests

    /// Sends one of the proxy's own requests; `completion` gets the decoded answer. With a `.dependent`
    /// ordering (e.g. re-preparing a statement of some keyspace) it follows the same keyspace rules as clients'.
    public func sendInternal(_ message: RequestMessage, ordering: KeyspaceOrdering = .independent,
                             completion: @escaping InternalCompletion) {
        guard !isClosed else {
            completion(.failure(.noConnectionAvailable))
            return
        }
        if ordering == .independent || isImmediate(for: ordering) {
            transmitInternal(message, ordering: ordering, completion: completion)
        } else {
            parked.append(.internalRequest(message, ordering, completion))
            pump()
        }
    }

    private func transmitInternal(_ message: RequestMessage, ordering: KeyspaceOrdering,
                                  completion: @escaping InternalCompletion) {
        var done = completion
        if case .dependent = ordering {
            dependentInFlight += 1
            // Strong captures here and in the timers below: `close` fails every stream and cancels the timers,
            // which breaks the cycles, and a weak reference would send every retain of `self` down the slow path.
            done = { result in
                self.dependentInFlight -= 1
                completion(result)
                if !self.parked.isEmpty { self.pump() }
            }
        }
        guard let stream = streams.allocate(internal: done, now: loop.now) else {
            done(.failure(.noConnectionAvailable))
            return
        }
        connection.write(Frame(request: message, version: version, stream: stream).encode())
    }

    /// Prepares `statements` (each in its own keyspace) and calls `completion` when all are answered, whatever
    /// the answers: a statement the node refuses will be refused to its client too, at EXECUTE time.
    public func prepareAll(_ statements: [PreparedStatementCache.Statement], completion: @escaping () -> Void) {
        var remaining = statements.count
        guard remaining > 0 else { completion(); return }
        for statement in statements {
            let ordering: KeyspaceOrdering = statement.keyspace.map { .dependent($0) } ?? .independent
            sendInternal(.prepare(PrepareRequest(query: statement.query)), ordering: ordering) { _ in
                remaining -= 1
                if remaining == 0 { completion() }
            }
        }
    }

    // MARK: Back-pressure

    /// Calls `body` once the connection's output has drained (call only while `isWriteBackedUp`).
    public func whenDrained(_ body: @escaping () -> Void) {
        drainWaiters.append(body)
    }

    public func connectionDidDrain(_ connection: Connection) {
        let waiters = drainWaiters
        drainWaiters.removeAll()
        for waiter in waiters { waiter() }
    }

    // MARK: Input

    public func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        lastHeardAt = loop.now
        defer { reportInFlight() }
        while !isClosed {
            if let (header, frame) = buffer.wholeFrame(maxBodyLength: config.maxFrameBodyLength) {
                dispatch(header, frame)
                buffer.consume(frame.count)
                continue
            }
            switch buffer.nextFrame(maxBodyLength: config.maxFrameBodyLength) {
            case .incomplete:
                return
            case .invalid(let error):
                closeForBadFrame(error)
                return
            case .frame(let header, let frame):
                dispatch(header, frame)
                buffer.consume(frame.count)
            }
        }
    }

    @inline(never)
    private func closeForBadFrame(_ error: CQLProtocolError) {
        close(.connectionClosed("bad frame from \(host.address): \(error)"))
    }

    private func reportInFlight() {
        guard clientInFlight != reportedInFlight else { return }
        inFlightMeter.increment(by: Double(clientInFlight - reportedInFlight))
        reportedInFlight = clientInFlight
    }

    private func dispatch(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        if header.stream == .event {
            deliverEvent(header, frame)
            return
        }
        guard let pending = streams.complete(header.stream) else { return }   // e.g. answered after a timeout
        switch pending {
        case .internalRequest(let completion):
            deliverInternal(completion, header, frame)
        case .client(let request):
            if header.opcode == Opcode.result.rawValue, Self.mightSetKeyspace(frame, header),
               let ks = Self.setKeyspaceName(frame, header) { keyspace = ks }
            FrameHeader.writeStreamID(request.clientStream, into: frame)
            finished(request)
            request.handler.upstreamDidRespond(frame, header: header, request: request, from: self)
            if !parked.isEmpty { pump() }
        }
    }

    // Out of line: the clients' answers (the data path) then do not pay for decoding's stack and registers.

    @inline(never)
    private func deliverEvent(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        if let onEvent, let message = try? decode(header, frame), case .event(let event) = message { onEvent(event) }
    }

    @inline(never)
    private func deliverInternal(_ completion: InternalCompletion, _ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        do {
            completion(.success(try decode(header, frame)))
        } catch {
            completion(.failure(.unexpectedResponse("\(error)")))
        }
    }

    /// Releases the keyspace bookkeeping of a request that left the connection (answered or given up).
    private func finished(_ request: ClientRequest) {
        clientInFlight -= 1
        switch request.ordering {
        case .independent: break
        case .dependent: dependentInFlight -= 1
        case .barrier: barrierInFlight = false
        }
    }

    private func decode(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) throws -> ResponseMessage {
        guard !header.flags.contains(.compression) else { throw UpstreamError.unexpectedResponse("compressed frame") }
        var reader = CQLReader(frame.messageBody(header) ?? UnsafeRawBufferPointer(start: nil, count: 0))
        return try ResponseMessage.read(&reader, opcode: Opcode(rawValue: header.opcode) ?? .error,
                                        version: ProtocolVersion(rawValue: header.version))
    }

    /// False when a RESULT is surely not SET_KEYSPACE: without flags its kind is at a fixed offset, so nearly
    /// every answer is ruled out here, inline.
    @inline(__always)
    static func mightSetKeyspace(_ frame: UnsafeMutableRawBufferPointer, _ header: FrameHeader) -> Bool {
        header.flags.rawValue != 0 || frame.count >= FrameHeader.size + 4 && frame[FrameHeader.size + 3] == 3
    }

    /// The keyspace of a RESULT SET_KEYSPACE frame, read without decoding anything else.
    static func setKeyspaceName(_ frame: UnsafeMutableRawBufferPointer, _ header: FrameHeader) -> String? {
        // Reached for RESULTs `mightSetKeyspace` did not rule out: the kind is compared in place, and only
        // SET_KEYSPACE (3) is decoded.
        guard let body = frame.messageBody(header), body.count >= 4,
              body[0] == 0, body[1] == 0, body[2] == 0, body[3] == 3 else { return nil }
        var reader = CQLReader(UnsafeRawBufferPointer(rebasing: body[4...]))
        return try? reader.readString()
    }

    // MARK: Life cycle

    public func connectionDidClose(_ connection: Connection, error: Error?) {
        let why = error.map { "\($0)" } ?? "closed by \(host.address)"
        close(.connectionClosed(why))
    }

    public func close(_ error: UpstreamError) {
        guard !isClosed else { return }
        isClosed = true
        if isReady { openMeter.decrement() }
        isReady = false
        if let heartbeat { loop.cancel(heartbeat) }
        connection.close(error: nil)
        if let sweep { loop.cancel(sweep) }
        fail(streams.removeAll(), error)
        let waiting = parked
        parked.removeAll()
        for entry in waiting { fail(entry, error) }
        if let handshake { self.handshake = nil; handshake.completion(.failure(error)) }
        connectionDidDrain(connection)
        reportInFlight()
        onClose?(self, error)
        onClose = nil
    }

    private func fail(_ pending: [PendingRequest], _ error: UpstreamError) {
        for request in pending {
            switch request {
            case .client(let request):
                finished(request)
                request.handler.upstreamDidFail(request, error: error, from: self)
            case .internalRequest(let completion):
                completion(.failure(error))
            }
        }
    }

    func becameReady() {
        isReady = true
        openMeter.increment()
        scheduleHeartbeat()
        scheduleSweep()
    }

    /// Times requests out in one pass a second rather than with a timer each: no allocation per request.
    private func scheduleSweep() {
        let period = min(config.requestTimeout / 4, .seconds(1))
        sweep = loop.schedule(after: period) {
            guard !self.isClosed else { return }
            self.reportInFlight()
            let deadline = MonotonicClock.now() - self.config.requestTimeout.nanosecondCount
            let expired = self.streams.expire(sentBefore: deadline)
            if !expired.isEmpty {
                self.fail(expired, .requestTimeout(self.config.requestTimeout))
                if !self.parked.isEmpty { self.pump() }
            }
            self.scheduleSweep()
        }
    }

    private func scheduleHeartbeat() {
        heartbeat = loop.schedule(after: config.heartbeatInterval) {
            guard !self.isClosed else { return }
            let silentFor = MonotonicClock.now() - self.lastHeardAt
            if silentFor > self.config.idleTimeout.nanosecondCount {
                self.close(.idleTimeout)
                return
            }
            self.sendInternal(.options) { _ in }
            self.scheduleHeartbeat()
        }
    }

    // MARK: Handshake

    struct Handshake {
        let completion: (Result<UpstreamConnection, UpstreamError>) -> Void
    }

    private func startHandshake(_ completion: @escaping (Result<UpstreamConnection, UpstreamError>) -> Void) {
        handshake = Handshake(completion: completion)
        let timeout = loop.schedule(after: config.connectTimeout) {
            self.close(.handshakeFailed("timed out after \(self.config.connectTimeout)"))
        }
        var authenticator: SASLAuthenticator?
        func finish(_ result: Result<Void, UpstreamError>) {
            loop.cancel(timeout)
            guard let handshake else { return }
            self.handshake = nil
            switch result {
            case .success:
                becameReady()
                handshake.completion(.success(self))
            case .failure(let error):
                handshake.completion(.failure(error))
                close(error)
            }
        }
        func step(_ result: Result<ResponseMessage, UpstreamError>) {
            switch result {
            case .failure(let error):
                finish(.failure(error))
            case .success(.ready), .success(.authSuccess):
                finish(.success(()))
            case .success(.authenticate(let className)):
                guard let credentials = config.credentials else {
                    finish(.failure(.authenticationRequired(className)))
                    return
                }
                authenticator = SASLAuthenticator(className: className, credentials: credentials)
                sendInternal(.authResponse(authenticator!.initialResponse()), completion: step)
            case .success(.authChallenge(let challenge)):
                guard let response = authenticator?.respond(to: challenge) else {
                    finish(.failure(.authenticationFailed("unexpected challenge")))
                    return
                }
                sendInternal(.authResponse(response), completion: step)
            case .success(.error(let error)):
                if error.code == .protocolError, error.message.lowercased().contains("protocol version") {
                    finish(.failure(.unsupportedProtocolVersion(version.rawValue, error.message)))
                } else if error.code == .badCredentials {
                    finish(.failure(.authenticationFailed(error.message)))
                } else {
                    finish(.failure(.handshakeFailed(error.message)))
                }
            case .success(let other):
                finish(.failure(.unexpectedResponse("\(other.opcode) during handshake")))
            }
        }
        sendInternal(.startup(["CQL_VERSION": "3.0.0", "DRIVER_NAME": "cql-proxy"]), completion: step)
    }
}

extension Duration {
    var nanosecondCount: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
