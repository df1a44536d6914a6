import Posix
import CQLProtocol
import Glibc

/// One client connection of a node, served by its own thread: read a whole frame, answer it, repeat, in order.
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
        defer {
            node.context.hub.unsubscribe(self)
            output.withLock { o in o.closed = true; socket.close() }
        }
        while serveOne(&session) {}
    }

    /// Reads and answers one frame; false when the connection must end.
    private func serveOne(_ session: inout ConnectionSession) -> Bool {
        guard let first = socket.read(exactly: 1) else { return false }
        let version = first[0] & 0x7F
        // v1/v2 headers are 8 bytes (1-byte stream); v3 and later, including DSE's 0x41/0x42, 9 bytes.
        let headerSize = version < 3 ? 8 : FrameHeader.size
        guard let rest = socket.read(exactly: headerSize - 1) else { return false }
        let headerBytes = first + rest
        let bodyLength = Int(Int32(bitPattern: UInt32(headerBytes[headerSize - 4]) << 24
            | UInt32(headerBytes[headerSize - 3]) << 16 | UInt32(headerBytes[headerSize - 2]) << 8
            | UInt32(headerBytes[headerSize - 1])))
        guard bodyLength >= 0, bodyLength <= node.context.maxFrameBodyLength,
              let body = socket.read(exactly: bodyLength) else { return false }
        let opcode = headerBytes[headerSize - 5]
        node.countRequest(opcode: opcode)
        defer { node.context.changes.bump() }

        guard version == 3 || version == 4 else {
            // Answered in v4, as Cassandra does, so a driver that started higher retries lower.
            let stream = FrameHeader.legacyStreamID(headerBytes) ?? StreamID(0)
            let error = ErrorMessage.protocolError(
                "Invalid or unsupported protocol version (\(version)); supported versions are (3/v3, 4/v4)")
            return write(Frame(response: .error(error), version: .v4, stream: stream))
        }
        guard case .header(let header) = FrameHeader.parse(headerBytes, maxBodyLength: node.context.maxFrameBodyLength)
        else { return false }
        let frameVersion = header.protocolVersion
        output.withLock { $0.version = frameVersion }
        let respond = { (message: ResponseMessage) -> Bool in
            self.write(Frame(response: message, version: frameVersion, stream: header.stream))
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
        for action in node.context.faults.actions(opcode: opcode, queries: node.queryTexts(of: request), node: node.index) {
            switch action {
            case .delay(let d): delay += d
            case .error(let e):
                sleep(for: delay)
                let id: [UInt8] = if case .execute(let ex) = request { ex.id } else { [] }
                return respond(.error(e.message(requestID: id)))
            case .noResponse: return true
            case .closeConnection: return false
            case .closeMidFrame:
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
        for event in reply.events { node.context.hub.publish(event) }
        return true
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
