import EventLoop
import Glibc
import Posix

/// A non-blocking TCP connection registered on one loop (level-triggered epoll).
public final class TCPConnection: Connection, IOHandler, Flushable {
    public let loop: EventLoop
    /// Strong, and let go of in `close`: the loop holds an open connection anyway, and a weak reference would
    /// give the delegate a side table, which puts every retain and release of it (several per request) on
    /// the runtime's slow path.
    public var delegate: ConnectionDelegate?
    public let remoteAddress: SocketAddress?
    public let localAddress: SocketAddress?
    private var fd: FileDescriptor?
    private var registration: Registration?
    private let input: ReadBuffer
    private let output: WriteQueue
    private let limits: ConnectionLimits
    private var readingPaused = false
    private var watchingWritable = false
    private var flushQueued = false
    private var backedUp = false
    private var closeWhenFlushed = false
    /// Reads per readiness event before yielding to other connections, for fairness.
    private let readBudget = 4

    /// Takes ownership of a connected descriptor and registers it. Call on `loop`.
    public init(fd: consuming FileDescriptor, loop: EventLoop, limits: ConnectionLimits = ConnectionLimits()) throws(IOError) {
        self.loop = loop
        self.limits = limits
        output = WriteQueue(pool: loop.chunkPool)
        input = ReadBuffer(pool: loop.readBufferPool)
        let raw = fd.rawValue
        remoteAddress = Socket.peerAddress(raw)
        localAddress = Socket.localAddress(raw)
        try? Socket.setNoDelay(raw)
        self.fd = consume fd
        registration = try loop.register(raw, interest: [.readable, .readHangup], handler: self)
    }

    /// A stored flag, not `fd != nil`: asked once or twice per frame.
    public private(set) var isOpen = true
    public var pendingWriteCount: Int { output.count }
    public var isWriteBackedUp: Bool { backedUp }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard isOpen else { return }
        output.append(bytes)
        if output.count > limits.highWater { backedUp = true }
        if !flushQueued && !watchingWritable {
            flushQueued = true
            loop.flushSoon(self)
        }
    }

    public func flushNow() {
        flushQueued = false
        guard let raw = fd?.rawValue else { return }
        do {
            let done = try output.flush(to: raw)
            if done && closeWhenFlushed { close(error: nil); return }
            setWatchWritable(!done)
            if backedUp && output.count <= limits.lowWater {
                backedUp = false
                delegate?.connectionDidDrain(self)
            }
        } catch {
            close(error: TransportError.io(error))
        }
    }

    public func pauseReading() {
        guard !readingPaused else { return }
        readingPaused = true
        updateInterest()
    }

    public func resumeReading() {
        guard readingPaused else { return }
        readingPaused = false
        updateInterest()
        // Frames may already sit in the buffer from before the pause.
        if input.readableCount > 0, fd != nil { delegate?.connectionDidRead(self, buffer: input) }
        input.releaseIfEmpty()
    }

    public func closeAfterFlush() {
        guard fd != nil else { return }
        if output.isEmpty { close(error: nil); return }
        closeWhenFlushed = true
        pauseReading()
        loop.flushSoon(self)
    }

    public func close(error: Error?) {
        guard let registration else { return }
        loop.unregister(registration)
        self.registration = nil
        isOpen = false
        fd.take()?.close()
        delegate?.connectionDidClose(self, error: error)
        delegate = nil
    }

    public func handleIO(_ events: IOEvents) {
        if events.contains(.writable) { flushNow() }
        if readingPaused {
            // Not reading, so only a dead socket matters here; level-triggered HUP would otherwise spin.
            if !events.isDisjoint(with: [.hangup, .error]) { close(error: TransportError.closedByPeer) }
            return
        }
        if !events.isDisjoint(with: [.readable, .readHangup, .hangup, .error]) { readAvailable() }
    }

    private func readAvailable() {
        defer { input.releaseIfEmpty() }
        for _ in 0..<readBudget {
            guard let raw = fd?.rawValue else { return }
            let space = input.writableSpace()
            do {
                switch try Socket.read(raw, into: space) {
                case .wouldBlock:
                    return
                case .processed(0):
                    close(error: nil)
                    return
                case .processed(let n):
                    input.didWrite(n)
                    delegate?.connectionDidRead(self, buffer: input)
                    if readingPaused || n < space.count { return }
                }
            } catch {
                close(error: TransportError.io(error))
                return
            }
        }
    }

    private func setWatchWritable(_ watch: Bool) {
        guard watch != watchingWritable else { return }
        watchingWritable = watch
        updateInterest()
    }

    private func updateInterest() {
        guard let registration else { return }
        var interest: IOEvents = []
        if !readingPaused { interest.formUnion([.readable, .readHangup]) }
        if watchingWritable { interest.insert(.writable) }
        do {
            try loop.reregister(registration, interest: interest)
        } catch {
            close(error: TransportError.io(error))
        }
    }
}
