import COpenSSL
import EventLoop
import Glibc
import Posix

/// A TLS connection on one loop, behind the same `Connection` interface as `TCPConnection`.
///
/// The socket is handed to OpenSSL with `SSL_set_fd`; epoll (level-triggered) tells us when to call it
/// again. OpenSSL may need the other direction than the call suggests (a read that must write, a write that
/// must read), so those wishes are kept as flags that decide what epoll watches, as redis's `tls.c` does.
/// Records OpenSSL has already pulled off the socket (`SSL_has_pending`) are invisible to epoll; such
/// connections go on their loop's `TLSPendingReads` list, serviced before every sleep.
///
/// The delegate sees reads only after the handshake; a failed handshake is `connectionDidClose` with a
/// `TLSError.handshakeFailed` (or `.handshakeTimeout`). Everything happens on `loop`.
public final class TLSConnection: Connection, IOHandler, Flushable {
    enum State { case handshaking, established, closed }

    public let loop: EventLoop
    /// Strong, and let go of in `close`: the loop holds an open connection anyway, and a weak reference would
    /// give the delegate a side table, which puts every retain and release of it (several per request) on
    /// the runtime's slow path.
    public var delegate: ConnectionDelegate?
    public let remoteAddress: SocketAddress?
    public let localAddress: SocketAddress?
    public let context: TLSContext

    /// The ALPN protocol both sides agreed on, after the handshake.
    public internal(set) var negotiatedALPN: String?
    /// Whether the peer presented a certificate (verified, when the configuration verifies).
    public internal(set) var hasPeerCertificate = false
    /// The SNI name: the one the client asked for (server side) or sent (client side).
    public internal(set) var requestedServerName: String?
    public var isHandshakeComplete: Bool { state == .established }

    var state: State = .handshaking
    var fd: FileDescriptor?
    var registration: Registration?
    var ssl: OpaquePointer?
    var handshakeTimer: TimerHandle?
    /// Set by `TLSConnector`: told once whether the handshake succeeded.
    var onHandshake: ((Result<Void, TLSError>) -> Void)?
    /// What the handshake waits for next.
    var handshakeWants: IOEvents
    /// After a fatal OpenSSL error, `SSL_shutdown` must not be called.
    var sslFailed = false

    let input = ReadBuffer()
    /// Plaintext waiting for `SSL_write`. A contiguous buffer, so small frames written back to back leave
    /// as full 16 KiB records rather than one record each.
    let output = ReadBuffer()
    let limits: ConnectionLimits
    var readingPaused = false
    var flushQueued = false
    var backedUp = false
    var closeWhenFlushed = false
    var readWantsWrite = false
    var writeWantsRead = false
    var writeWantsWrite = false
    var interest: IOEvents = []
    var onPendingList = false
    let pendingReads: TLSPendingReads

    /// Plaintext bytes read per readiness event before yielding to other connections, for fairness.
    let readBudget = 256 * 1024
    /// Plaintext gathered before the delegate is called.
    static let gatherLimit = 64 * 1024
    static let maxRecordPlaintext = 16 * 1024

    /// Server side: takes an accepted socket (e.g. from `TCPListener`'s `onAccept`) and waits for the
    /// ClientHello. Call on `loop`.
    public convenience init(acceptedFD fd: consuming FileDescriptor, loop: EventLoop, context: TLSContext,
                            handshakeTimeout: Duration = .seconds(10),
                            limits: ConnectionLimits = ConnectionLimits()) throws(TLSError) {
        guard context.configuration.role == .server else {
            throw .invalidConfiguration("accepting needs a server-role context")
        }
        let ssl = try context.makeSSL(serverName: nil, expectedHostName: nil)
        try self.init(fd: fd, ssl: ssl, isClient: false, loop: loop, context: context,
                      handshakeTimeout: handshakeTimeout, limits: limits)
    }

    /// Client side: takes a connected socket and starts the handshake. `serverName` and `expectedHostName`
    /// override the context's (one context, many SNI names). Call on `loop`.
    public convenience init(connectedFD fd: consuming FileDescriptor, loop: EventLoop, context: TLSContext,
                            serverName: String? = nil, expectedHostName: String? = nil,
                            handshakeTimeout: Duration = .seconds(10),
                            limits: ConnectionLimits = ConnectionLimits()) throws(TLSError) {
        guard context.configuration.role == .client else {
            throw .invalidConfiguration("connecting needs a client-role context")
        }
        let ssl = try context.makeSSL(serverName: serverName, expectedHostName: expectedHostName)
        try self.init(fd: fd, ssl: ssl, isClient: true, loop: loop, context: context,
                      handshakeTimeout: handshakeTimeout, limits: limits)
    }

    private init(fd: consuming FileDescriptor, ssl: OpaquePointer, isClient: Bool, loop: EventLoop,
                 context: TLSContext, handshakeTimeout: Duration, limits: ConnectionLimits) throws(TLSError) {
        self.loop = loop
        self.context = context
        self.limits = limits
        self.ssl = ssl
        self.pendingReads = TLSPendingReads.forLoop(loop)
        let raw = fd.rawValue
        remoteAddress = Socket.peerAddress(raw)
        localAddress = Socket.localAddress(raw)
        try? Socket.setNoDelay(raw)
        self.fd = consume fd
        // The client speaks first: wait for writable (immediately true) and send the ClientHello from there.
        handshakeWants = isClient ? .writable : .readable
        guard SSL_set_fd(ssl, raw) == 1 else {
            throw .invalidConfiguration(OpenSSLErrors.describe("SSL_set_fd"))   // deinit frees ssl, closes fd
        }
        if isClient { SSL_set_connect_state(ssl) } else { SSL_set_accept_state(ssl) }
        do {
            interest = handshakeWants
            registration = try loop.register(raw, interest: interest, handler: self)
        } catch {
            throw .io(error.description)
        }
        // Strong: the timer is cancelled when the handshake ends or the connection closes, and a weak reference
        // would give the connection a side table, putting every retain of it on the runtime's slow path.
        handshakeTimer = loop.schedule(after: handshakeTimeout) {
            guard self.state == .handshaking else { return }
            self.handshakeTimer = nil
            self.failHandshake(.handshakeTimeout)
        }
    }

    deinit {
        if let ssl { SSL_free(ssl) }
    }

    public var isOpen: Bool { state != .closed }
    public var pendingWriteCount: Int { output.readableCount }
    public var isWriteBackedUp: Bool { backedUp }

    // MARK: Events

    public func handleIO(_ events: IOEvents) {
        switch state {
        case .closed: return
        case .handshaking: advanceHandshake()
        case .established: handleEstablished(events)
        }
    }

    private func handleEstablished(_ events: IOEvents) {
        if events.contains(.writable) {
            if readWantsWrite {
                readWantsWrite = false
                readAvailable()
            }
            if state == .established && writeWantsWrite { flushNow() }
        }
        guard state == .established, !events.isDisjoint(with: [.readable, .readHangup, .hangup, .error]) else { return }
        if writeWantsRead {
            writeWantsRead = false
            flushNow()
        }
        guard state == .established else { return }
        if readingPaused {
            // Not reading, so only a dead socket matters; a level-triggered HUP would otherwise spin.
            if !events.isDisjoint(with: [.hangup, .error]) { close(error: TransportError.closedByPeer) }
            return
        }
        readAvailable()
    }

    // MARK: Reading

    /// Reads until OpenSSL wants more from the socket or the budget is spent. Several records (they may be
    /// tiny) are gathered per delegate call.
    func readAvailable() {
        defer { enqueueIfPending() }
        var total = 0
        while total < readBudget {
            guard state == .established, !readingPaused, let ssl else { return }
            var gathered = 0
            var stop: Int32?
            while gathered < Self.gatherLimit {
                let space = input.writableSpace(minimum: Self.maxRecordPlaintext)
                ERR_clear_error()
                let n = SSL_read(ssl, space.baseAddress, Int32(clamping: space.count))
                guard n > 0 else { stop = SSL_get_error(ssl, n); break }
                input.didWrite(Int(n))
                gathered += Int(n)
            }
            total += gathered
            if gathered > 0 { delegate?.connectionDidRead(self, buffer: input) }
            guard let stop, state == .established else { continue }
            switch stop {
            case SSL_ERROR_WANT_READ:
                return
            case SSL_ERROR_WANT_WRITE:
                readWantsWrite = true
                updateInterest()
            case SSL_ERROR_ZERO_RETURN:
                close(error: nil)   // close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF)
            case let code:
                fail(code, operation: "read")
            }
            return
        }
    }

    /// Decrypted or buffered bytes epoll cannot see: have them read before the loop sleeps.
    func enqueueIfPending() {
        guard state == .established, !readingPaused, !onPendingList, let ssl, SSL_has_pending(ssl) == 1 else { return }
        onPendingList = true
        pendingReads.add(self)
    }

    /// Called by `TLSPendingReads` before the loop sleeps.
    func servicePendingReads() {
        onPendingList = false
        guard state == .established, !readingPaused, let ssl, SSL_has_pending(ssl) == 1 else { return }
        readAvailable()
    }

    // MARK: Writing

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard state != .closed, !bytes.isEmpty else { return }
        output.append(bytes)
        if output.readableCount > limits.highWater { backedUp = true }
        scheduleFlush()
    }

    func scheduleFlush() {
        guard state == .established, !flushQueued, !writeWantsWrite, !writeWantsRead, output.readableCount > 0 else { return }
        flushQueued = true
        loop.flushSoon(self)
    }

    public func flushNow() {
        flushQueued = false
        guard state == .established, let ssl else { return }
        while output.readableCount > 0 {
            let pending = output.readable
            ERR_clear_error()
            // A retry after WANT_WRITE may pass a longer length and a moved buffer (ACCEPT_MOVING_WRITE_BUFFER).
            let n = SSL_write(ssl, pending.baseAddress, Int32(min(pending.count, Self.maxRecordPlaintext)))
            if n > 0 {
                output.consume(Int(n))
                continue
            }
            switch SSL_get_error(ssl, n) {
            case SSL_ERROR_WANT_WRITE:
                writeWantsWrite = true
                writeWantsRead = false
            case SSL_ERROR_WANT_READ:
                writeWantsRead = true
                writeWantsWrite = false
            case let code:
                fail(code, operation: "write")
                return
            }
            updateInterest()
            reportDrainIfNeeded()
            return
        }
        output.shrinkIfIdle()
        writeWantsWrite = false
        writeWantsRead = false
        updateInterest()
        if closeWhenFlushed { close(error: nil); return }
        reportDrainIfNeeded()
    }

    private func reportDrainIfNeeded() {
        guard backedUp, state != .closed, output.readableCount <= limits.lowWater else { return }
        backedUp = false
        delegate?.connectionDidDrain(self)
    }

    // MARK: Flow control and closing

    public func pauseReading() {
        guard !readingPaused else { return }
        readingPaused = true
        updateInterest()
    }

    public func resumeReading() {
        guard readingPaused else { return }
        readingPaused = false
        updateInterest()
        guard state == .established else { return }
        // Frames may sit in our buffer from before the pause, and records inside OpenSSL.
        if input.readableCount > 0 { delegate?.connectionDidRead(self, buffer: input) }
        enqueueIfPending()
    }

    public func closeAfterFlush() {
        guard state != .closed else { return }
        if output.readableCount == 0 && state == .established { close(error: nil); return }
        closeWhenFlushed = true
        pauseReading()
        if state == .established {
            flushQueued = true
            loop.flushSoon(self)
        }
    }

    public func close(error: Error?) {
        guard state != .closed else { return }
        let wasEstablished = state == .established
        state = .closed
        if let handshakeTimer { loop.cancel(handshakeTimer) }
        handshakeTimer = nil
        if let registration { loop.unregister(registration) }
        registration = nil
        if let ssl {
            // close_notify, best effort: one non-blocking attempt, no waiting for the peer's.
            if wasEstablished && !sslFailed {
                ERR_clear_error()
                _ = SSL_shutdown(ssl)
                ERR_clear_error()
            }
            SSL_free(ssl)
        }
        ssl = nil
        fd.take()?.close()
        if let onHandshake {
            self.onHandshake = nil
            onHandshake(.failure(error as? TLSError ?? .handshakeFailed(error.map { "\($0)" } ?? "closed")))
        }
        delegate?.connectionDidClose(self, error: error)
        delegate = nil
    }

    /// Closes after `SSL_read`/`SSL_write` failed with `code`.
    private func fail(_ code: Int32, operation: String) {
        sslFailed = true
        if code == SSL_ERROR_SYSCALL {
            let err = errno
            let detail = OpenSSLErrors.drain()
            if !detail.isEmpty {
                close(error: TLSError.io("\(operation): \(detail)"))
            } else if err == 0 || err == ECONNRESET {
                close(error: TransportError.closedByPeer)
            } else {
                close(error: TransportError.io(IOError(errno: err, call: "SSL_\(operation)")))
            }
            return
        }
        close(error: TLSError.io(OpenSSLErrors.describe("\(operation) (SSL error \(code))")))
    }

    func updateInterest() {
        guard let registration else { return }
        var wanted: IOEvents = []
        switch state {
        case .closed: return
        case .handshaking: wanted = handshakeWants
        case .established:
            if !readingPaused { wanted.formUnion([.readable, .readHangup]) }
            if writeWantsRead { wanted.insert(.readable) }
            if readWantsWrite || writeWantsWrite { wanted.insert(.writable) }
        }
        guard wanted != interest else { return }
        do {
            try loop.reregister(registration, interest: wanted)
            interest = wanted
        } catch {
            close(error: TransportError.io(error))
        }
    }
}
