import Posix
import CQLProtocol
import Glibc

/// One client connection of a node, served by its own thread: read a whole frame, answer it, repeat, in order.
/// Frames are cut from whatever one `recv` returned and answers gathered until no whole frame is left buffered,
/// so a client that pipelines costs one read and one write per batch (as a real node's would), not three reads
/// and a write per frame; that keeps the node from being what a benchmark measures.
/// Other threads write to it too (pushed EVENTs), so every write takes `output`'s lock.
final class NodeConnection: Sendable {
    let socket: ConnectedSocket
    let node: MockNode

    private struct Output {
        var closed = false
        /// The version of the connection's frames: pushed events use it.
        var version = ProtocolVersion.v4
    }
    private let output = Locked(Output())

    init(socket: ConnectedSocket, node: MockNode) {
        self.socket = socket
        self.node = node
    }

    /// Wakes the connection's thread (its read fails) so it ends; safe from any thread.
    func shutdown() { socket.shutdown() }

    /// Serves the connection until the client leaves, framing is lost or the node stops.
    func run() {
        var session = ConnectionSession()
        var io = BufferedIO()
        defer {
            _ = flush(&io)
            node.context.hub.unsubscribe(self)
            output.withLock { o in o.closed = true; socket.close() }
        }
        while serveOne(&session, &io) {}
    }

    /// Reads and answers one frame; false when the connection must end.
    private func serveOne(_ session: inout ConnectionSession, _ io: inout BufferedIO) -> Bool {
        guard fill(&io, atLeast: 1) else { return false }
        let version = io.input[io.start] & 0x7F
        // v1/v2 headers are 8 bytes (1-byte stream); v3 and later, including DSE's 0x41/0x42, 9 bytes.
        let headerSize = version < 3 ? 8 : FrameHeader.size
        guard fill(&io, atLeast: headerSize) else { return false }
        let headerBytes = io.take(headerSize)
        let bodyLength = Int(Int32(bitPattern: UInt32(headerBytes[headerSize - 4]) << 24
            | UInt32(headerBytes[headerSize - 3]) << 16 | UInt32(headerBytes[headerSize - 2]) << 8
            | UInt32(headerBytes[headerSize - 1])))
        guard bodyLength >= 0, bodyLength <= node.context.maxFrameBodyLength,
              fill(&io, atLeast: bodyLength) else { return false }
        let body = io.take(bodyLength)
        let opcode = headerBytes[headerSize - 5]
        node.countRequest(opcode: opcode)
        defer { node.context.changes.bump() }

        guard version == 3 || version == 4 else {
            // Answered in v4, as Cassandra does, so a driver that started higher retries lower.
            let stream = FrameHeader.legacyStreamID(headerBytes) ?? StreamID(0)
            let error = ErrorMessage.protocolError(
                "Invalid or unsupported protocol version (\(version)); supported versions are (3/v3, 4/v4)")
            io.output += Frame(response: .error(error), version: .v4, stream: stream).encode()
            return true
        }
        guard case .header(let header) = FrameHeader.parse(headerBytes, maxBodyLength: node.context.maxFrameBodyLength)
        else { return false }
        let frameVersion = header.protocolVersion
        if frameVersion != session.version {
            session.version = frameVersion
            output.withLock { $0.version = frameVersion }
        }
        // Answers wait in `io.output` until the next read would block (or the batch is large).
        func respond(_ message: ResponseMessage) -> Bool {
            io.output += Frame(response: message, version: frameVersion, stream: header.stream).encode()
            return io.output.count < BufferedIO.flushThreshold || flush(&io)
        }

        // The frame is whole from here on: problems are answered with an ERROR and the connection stays.
        let request: RequestMessage
        do {
            guard !header.isResponse else { throw CQLProtocolError.malformed("a response frame sent to a server") }
            guard header.knownOpcode?.isRequest == true else { throw CQLProtocolError.unknownOpcode(opcode) }
            request = try Frame(header: header, body: body).requestMessage()
        } catch {
            return respond(.error(.protocolError(Self.describe(error))))
        }

        node.recordConsistency(of: request)
        var delay = Duration.zero
        let actions = node.context.faults.actions(opcode: opcode, queries: node.queryTexts(of: request), node: node.index)
        // A fault acts on the wire in order: whatever was answered before it goes out first.
        if !actions.isEmpty, !flush(&io) { return false }
        for action in actions {
            switch action {
            case .delay(let d): delay += d
            case .error(let e):
                sleep(for: delay)
                let id: [UInt8] = if case .execute(let ex) = request { ex.id } else { [] }
                return respond(.error(e.message(requestID: id)))
            case .noResponse: return true
            case .closeConnection: return false
            case .closeMidFrame:
                guard flush(&io) else { return false }
                var partial: [UInt8] = []
                FrameHeader(version: frameVersion, isResponse: true, stream: header.stream, opcode: .result, length: 64)
                    .encode(into: &partial)
                _ = writeRaw(Array(partial.prefix(5)))
                return false
            }
        }

        let reply = node.reply(to: request, session: &session)
        if !reply.register.isEmpty {
            session.registered.formUnion(reply.register)
            node.context.hub.subscribe(self, node: node.index, types: reply.register)
        }
        sleep(for: delay)
        if let response = reply.response, !respond(response) { return false }
        if !reply.events.isEmpty {
            // The DDL's answer precedes its SCHEMA_CHANGE, as on a real node.
            guard flush(&io) else { return false }
            for event in reply.events { node.context.hub.publish(event) }
        }
        return true
    }

    /// Until `count` unread bytes are buffered; answers gathered so far are written before blocking in `recv`.
    private func fill(_ io: inout BufferedIO, atLeast count: Int) -> Bool {
        while io.input.count - io.start < count {
            guard flush(&io) else { return false }
            if io.start > 0 {
                io.input.removeSubrange(0..<io.start)
                io.start = 0
            }
            guard socket.receive(appendingTo: &io.input, scratch: &io.scratch) else { return false }
        }
        return true
    }

    private func flush(_ io: inout BufferedIO) -> Bool {
        guard !io.output.isEmpty else { return true }
        defer { io.output.removeAll(keepingCapacity: io.output.capacity <= 4 * BufferedIO.flushThreshold) }
        return writeRaw(io.output)
    }

    /// Pushes an EVENT on stream -1 (from any thread).
    func push(_ event: ServerEvent) {
        let version = output.withLock { $0.version }
        _ = write(Frame(response: .event(event.wire), version: version, stream: .event))
        node.context.changes.bump()
    }

    private func write(_ frame: Frame) -> Bool { writeRaw(frame.encode()) }

    /// False when the peer is gone (the reading thread then ends the connection).
    private func writeRaw(_ bytes: [UInt8]) -> Bool {
        output.withLock { o in
            guard !o.closed else { return false }
            do { try socket.write(bytes); return true } catch {
                socket.shutdown()
                return false
            }
        }
    }

    private func sleep(for duration: Duration) {
        guard duration > .zero else { return }
        let (seconds, attoseconds) = duration.components
        var remaining = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        while true {
            let request = remaining
            guard nanosleep([request], &remaining) != 0, errno == EINTR else { return }
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? CQLProtocolError {
        case .unknownOpcode(let op)?: "Unknown opcode \(op)"
        case .truncated(let what)?: "Invalid message: truncated \(what)"
        case .malformed(let what)?: "Invalid message: \(what)"
        case let e?: "Invalid message: \(e)"
        case nil: "Invalid message: \(error)"
        }
    }
}

/// The reading thread's buffers: bytes received but not yet framed, and answers not yet written.
struct BufferedIO {
    static let readSize = 64 * 1024
    static let flushThreshold = 256 * 1024
    var input: [UInt8] = []
    /// Where the unread part of `input` starts.
    var start = 0
    var output: [UInt8] = []
    var scratch = [UInt8](repeating: 0, count: readSize)

    mutating func take(_ count: Int) -> [UInt8] {
        defer { start += count }
        return Array(input[start..<start + count])
    }
}
