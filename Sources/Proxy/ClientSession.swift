import CQLProtocol
import Compression
import EventLoop
import Transport
import Upstream

/// One client connection: reads frames, answers what the proxy owns (handshake, system tables), and
/// forwards the rest upstream as raw bytes with only the stream id rewritten.
final class ClientSession: ConnectionDelegate {
    let connection: Connection
    let context: LoopContext
    /// Fixed by the first frame the proxy accepts; every later frame must carry it.
    var version: ProtocolVersion?
    var isStarted = false
    /// STARTUP was answered with AUTHENTICATE; waiting for the client's credentials.
    var awaitingAuthentication = false
    /// The client's keyspace (USE); its QUERY/PREPARE/BATCH need upstream connections in that keyspace.
    var keyspace: String? {
        didSet {
            keyspaceOrdering = keyspace.map { .dependent($0) } ?? .independent
            inSystemKeyspace = keyspace == "system"
        }
    }
    /// What `keyspace` means for a QUERY or BATCH: kept with it, so a request does not build it anew.
    private(set) var keyspaceOrdering = KeyspaceOrdering.independent
    private(set) var inSystemKeyspace = false
    private var events: Set<String> = []
    /// The body codec the client chose in STARTUP. Upstream connections never compress (they are shared by
    /// clients with different choices, and UNPREPARED must stay readable), so bodies are converted here.
    var codec: FrameBodyCodec?
    /// Ids of the USE statements this client prepared: their EXECUTEs change the keyspace.
    var usePreparedIDs: Set<[UInt8]> = []
    /// This loop's upstream pool for the session's protocol version, found on the first forwarded request.
    var upstreamPool: ConnectionPool? {
        didSet { poolAccess = upstreamPool.map { Unmanaged.passUnretained($0) } }
    }
    /// `upstreamPool` without a retain and release per request: `upstreamPool` keeps the pool alive.
    private(set) var poolAccess: Unmanaged<ConnectionPool>?
    /// Forwarded requests by the client's stream id.
    var inFlight = StreamMap<InFlightRequest>()
    var requestPool = InFlightRequest.Pool()
    /// Bytes still to drop of a frame refused for its version.
    private var skipping = 0
    private var waitingForUpstreamDrain = false
    private var waitingForOwnDrain = false

    /// `connection.isOpen`, kept here: asked per frame and per answer, and a call through the `Connection`
    /// existential each time showed in profiles. Cleared when the connection reports its close.
    private(set) var isOpen = true

    /// Last time a frame arrived, for --client-idle-timeout.
    private var lastHeardAt = MonotonicClock.now()
    private var idleTimer: TimerHandle?

    init(connection: Connection, context: LoopContext) {
        self.connection = connection
        self.context = context
        connection.delegate = self
        if let idle = context.config.clientIdleTimeout { scheduleIdleCheck(idle) }
    }

    /// One timer per client, checked at half the timeout: a client silent that long (and with nothing in
    /// flight) is closed.
    private func scheduleIdleCheck(_ idle: Duration) {
        let (seconds, atto) = idle.components
        let limit = seconds * 1_000_000_000 + atto / 1_000_000_000
        // Strong: the timer ends with the connection, and a weak reference would put every retain of the
        // session on the runtime's slow path.
        idleTimer = context.loop.schedule(after: idle / 2) {
            guard self.isOpen else { return }
            if self.inFlight.isEmpty && MonotonicClock.now() - self.lastHeardAt > limit {
                self.context.metrics.limitReached("client_idle")
                self.connection.close(error: nil)
                return
            }
            self.scheduleIdleCheck(idle)
        }
    }

    var replyVersion: ProtocolVersion { version ?? context.config.maxProtocolVersion }

    func wantsEvent(_ type: String) -> Bool { events.contains(type) }
    func register(_ type: String) { events.insert(type) }

    func close() { connection.close(error: nil) }

    // MARK: Input

    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        if context.config.clientIdleTimeout != nil { lastHeardAt = context.loop.now }
        while isOpen && !isPaused {
            if skipping > 0 {
                let n = min(skipping, buffer.readableCount)
                buffer.consume(n)
                skipping -= n
                if skipping > 0 { return }
            }
            if let (header, frame) = buffer.wholeFrame(maxBodyLength: context.config.maxFrameBodyLength) {
                handle(header, frame)
                buffer.consume(frame.count)
                continue
            }
            switch buffer.nextFrame(maxBodyLength: context.config.maxFrameBodyLength) {
            case .incomplete:
                return
            case .invalid(let error):
                if !refuse(error, buffer: buffer) { return }
            case .frame(let header, let frame):
                handle(header, frame)
                buffer.consume(frame.count)
            }
        }
    }

    private var isPaused: Bool { waitingForUpstreamDrain || waitingForOwnDrain }

    /// Answers a frame whose framing cannot be trusted. Returns true when it could be skipped and reading
    /// may go on; false when more bytes are needed first, or the connection was closed.
    @inline(never)
    private func refuse(_ error: CQLProtocolError, buffer: ReadBuffer) -> Bool {
        let bytes = UnsafeRawBufferPointer(buffer.readable)
        switch error {
        case .unsupportedVersion(let v):
            // v1/v2 headers are 8 bytes with the length at 4; later ones 9 bytes with it at 5.
            let headerSize = v < 3 ? 8 : FrameHeader.size
            guard bytes.count >= headerSize else { return false }
            let o = headerSize - 4
            let length = Int(Int32(bitPattern: UInt32(bytes[o]) << 24 | UInt32(bytes[o + 1]) << 16 | UInt32(bytes[o + 2]) << 8 | UInt32(bytes[o + 3])))
            let stream = FrameHeader.legacyStreamID(bytes) ?? StreamID(0)
            let message = ErrorMessage.protocolError("Invalid or unsupported protocol version (\(v))")
            if v < 3 {
                connection.write(LegacyFrame.error(message, version: v, stream: stream))
            } else {
                reply(.error(message), stream: stream, version: context.config.maxProtocolVersion)
            }
            guard length >= 0, length <= context.config.maxFrameBodyLength else {
                connection.closeAfterFlush()
                return false
            }
            skipping = headerSize + length
            return true
        case .frameTooLarge(let length, let limit):
            let stream = FrameHeader.legacyStreamID(bytes) ?? StreamID(0)
            reply(.error(.protocolError("Frame of \(length) bytes exceeds the limit of \(limit)")), stream: stream)
            connection.closeAfterFlush()
            return false
        default:
            reply(.error(.protocolError("Invalid frame: \(error)")), stream: StreamID(0))
            connection.closeAfterFlush()
            return false
        }
    }

    private func handle(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        // The data path: a plain request of a started session, in the version it started with. Every check
        // below has passed for that version already.
        if isStarted, let version, header.version == version.rawValue, !header.isResponse,
           header.flags.rawValue & FrameFlags.compression.rawValue == 0, let opcode = Self.forwarded(header.opcode) {
            context.counts.request(opcode: header.opcode, bytes: frame.count)
            rewriteWriteConsistency(opcode, header, frame)
            route(opcode, header, frame)
            return
        }
        handleSlowly(header, frame)
    }

    /// Everything but the data path: the handshake, refusals, compressed frames. Out of line, so that the
    /// data path's frame (registers saved, stack) is not sized for it.
    @inline(never)
    private func handleSlowly(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        if !header.flags.contains(.compression) { context.counts.request(opcode: header.opcode, bytes: frame.count) }
        let frameVersion = header.protocolVersion
        guard !header.isResponse else {
            reply(.error(.protocolError("Unexpected response frame from a client")), stream: header.stream)
            connection.closeAfterFlush()
            return
        }
        guard frameVersion <= context.config.maxProtocolVersion, frameVersion.isSupportedFraming else {
            reply(.error(.protocolError("Invalid or unsupported protocol version (\(header.version))")),
                  stream: header.stream, version: context.config.maxProtocolVersion)
            return
        }
        if let version, version != frameVersion {
            reply(.error(.protocolError("Invalid message version. Got \(frameVersion.rawValue) but previous messages on this connection had version \(version.rawValue)")),
                  stream: header.stream)
            return
        }
        version = frameVersion
        if header.flags.contains(.compression) {
            handleCompressed(header, frame)
            return
        }
        guard let opcode = header.knownOpcode, opcode.isRequest else {
            reply(.error(.protocolError("Unknown or unexpected opcode \(header.opcode)")), stream: header.stream)
            return
        }
        switch opcode {
        case .options: answerOptions(header)
        case .startup: answerStartup(header, frame)
        case .register: answerRegister(header, frame)
        case .authResponse:
            answerAuthResponse(header, frame)
        case .query, .prepare, .execute, .batch:
            guard isStarted else {
                reply(.error(.protocolError("Unexpected message \(opcode), expecting STARTUP or OPTIONS")), stream: header.stream)
                return
            }
            rewriteWriteConsistency(opcode, header, frame)
            route(opcode, header, frame)
        default:
            reply(.error(.protocolError("Unexpected opcode \(header.opcode)")), stream: header.stream)
        }
    }

    /// The opcodes forwarded upstream, without the general `Opcode(rawValue:)`.
    @inline(__always)
    private static func forwarded(_ raw: UInt8) -> Opcode? {
        switch raw {
        case Opcode.query.rawValue: return .query
        case Opcode.execute.rawValue: return .execute
        case Opcode.prepare.rawValue: return .prepare
        case Opcode.batch.rawValue: return .batch
        default: return nil
        }
    }

    /// Decompresses a client frame and handles it as if it had come plain.
    private func handleCompressed(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        guard let codec, isStarted || awaitingAuthentication else {
            reply(.error(.protocolError("Compressed frame, but no compression was negotiated")), stream: header.stream)
            return
        }
        do {
            let body = try codec.decompress(frame.frameBody, maxLength: context.config.maxFrameBodyLength)
            var plain = header
            plain.flags.remove(.compression)
            plain.length = UInt32(body.count)
            var bytes: [UInt8] = []
            bytes.reserveCapacity(FrameHeader.size + body.count)
            plain.encode(into: &bytes)
            bytes += body
            bytes.withUnsafeMutableBytes { handle(plain, $0) }
        } catch {
            reply(.error(.protocolError("Cannot decompress frame: \(error)")), stream: header.stream)
        }
    }

    // MARK: Output

    func reply(_ message: ResponseMessage, stream: StreamID, version: ProtocolVersion? = nil) {
        if case .error(let error) = message { context.metrics.error(code: error.code) }
        let frame = Frame(response: message, version: version ?? replyVersion, stream: stream).encode()
        if codec != nil && isStarted {
            frame.withUnsafeBytes { writeToClient($0) }
        } else {
            context.counts.sent(bytes: frame.count)
            connection.write(frame)
        }
        checkOwnBackPressure()
    }

    /// Writes a whole plain frame to the client, compressing its body when the client asked for that.
    func writeToClient(_ frame: UnsafeRawBufferPointer) {
        context.counts.sent(bytes: frame.count)
        guard let codec, frame.count > FrameHeader.size else {
            connection.write(frame)
            return
        }
        writeCompressed(frame, codec)
    }

    @inline(never)
    private func writeCompressed(_ frame: UnsafeRawBufferPointer, _ codec: FrameBodyCodec) {
        var out: [UInt8] = []
        out.reserveCapacity(frame.count)
        out.append(contentsOf: frame[0..<FrameHeader.size])
        codec.compress(UnsafeRawBufferPointer(rebasing: frame[FrameHeader.size...]), into: &out)
        out[1] |= FrameFlags.compression.rawValue
        let length = UInt32(out.count - FrameHeader.size)
        out[5] = UInt8(length >> 24); out[6] = UInt8(length >> 16 & 0xFF); out[7] = UInt8(length >> 8 & 0xFF); out[8] = UInt8(length & 0xFF)
        connection.write(out)
    }

    func sendEvent(_ event: EventMessage) {
        reply(.event(event), stream: .event)
    }

    // MARK: Back-pressure

    /// A client that does not read its answers is not read either: its output stays bounded.
    func checkOwnBackPressure() {
        if connection.isWriteBackedUp && !waitingForOwnDrain {
            waitingForOwnDrain = true
            connection.pauseReading()
        }
    }

    func connectionDidDrain(_ connection: Connection) {
        guard waitingForOwnDrain else { return }
        waitingForOwnDrain = false
        if !isPaused { connection.resumeReading() }
    }

    /// An upstream connection we write to is full: stop reading this client until it drains.
    func waitForUpstream(_ upstream: UpstreamConnection) {
        guard !waitingForUpstreamDrain else { return }
        waitingForUpstreamDrain = true
        connection.pauseReading()
        // Strong: the upstream runs (and drops) its drain waiters when it drains or closes; a weak reference
        // would give the session a side table and slow every retain of it.
        upstream.whenDrained {
            self.waitingForUpstreamDrain = false
            if !self.isPaused { self.connection.resumeReading() }
        }
    }

    func connectionDidClose(_ connection: Connection, error: Error?) {
        isOpen = false
        if let idleTimer { context.loop.cancel(idleTimer) }
        // Pooled and waiting requests point back at the session: let go of them, so the session can go too.
        // Answers still on their way find the connection closed and are dropped.
        requestPool.removeAll()
        inFlight = StreamMap()
        context.remove(self)
        context.metrics.clientDisconnected()
        if error is TLSError, (connection as? TLSConnection)?.isHandshakeComplete == false {
            context.metrics.clientTLSFailed()
        }
    }
}

/// Error frames for clients speaking v1/v2, whose 8-byte header has a 1-byte stream id: they can only be
/// told, in their own framing, that their version is not supported.
enum LegacyFrame {
    static func error(_ message: ErrorMessage, version: UInt8, stream: StreamID) -> [UInt8] {
        var body = CQLWriter()
        message.encode(into: &body, version: .v3)
        let length = UInt32(body.bytes.count)
        var out: [UInt8] = [version | 0x80, 0, UInt8(truncatingIfNeeded: stream.rawValue), Opcode.error.rawValue]
        out += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        return out + body.bytes
    }
}
