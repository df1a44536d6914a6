import CQLProtocol
import Upstream

/// Requests that go upstream: the frame leaves as it came, but for its stream id.
extension ClientSession: UpstreamResponseHandler {
    static let useTag: UInt32 = 1

    func route(_ opcode: Opcode, _ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        let dependent: KeyspaceOrdering = keyspace.map { .dependent($0) } ?? .independent
        switch opcode {
        case .query:
            guard let view = try? QueryView(body: frame.messageBody(header) ?? UnsafeRawBufferPointer(start: nil, count: 0), version: header.protocolVersion) else {
                reply(.error(.protocolError("Malformed QUERY body")), stream: header.stream)
                return
            }
            switch InterceptedStatement.classify(view.query, currentKeyspace: keyspace) {
            case .systemSelect(let select)?:
                answerSystemSelect(select, stream: header.stream)
            case .use?:
                forward(header, frame, ordering: .barrier, tag: Self.useTag)
            case nil:
                forward(header, frame, ordering: dependent)
            }
        case .prepare, .batch:
            forward(header, frame, ordering: dependent)
        default:
            forward(header, frame, ordering: .independent)
        }
    }

    private func forward(_ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer,
                         ordering: KeyspaceOrdering, tag: UInt32 = 0) {
        guard let pool = context.upstream.pool(on: context.loop, version: header.protocolVersion) else {
            reply(.error(.serverError("No upstream connection for protocol v\(header.version) yet")), stream: header.stream)
            return
        }
        let request = ClientRequest(handler: self, clientStream: header.stream, opcode: header.opcode,
                                    ordering: ordering, tag: tag)
        // A connection whose stream ids are exhausted refuses; the pool then offers the next node.
        for _ in 0..<3 {
            guard let upstream = pool.pick(for: ordering) else { break }
            if upstream.send(frame, request: request) {
                inFlight += 1
                if upstream.isWriteBackedUp { waitForUpstream(upstream) }
                return
            }
        }
        reply(.error(.overloaded("No upstream connection available")), stream: header.stream)
    }

    func upstreamDidRespond(_ frame: UnsafeMutableRawBufferPointer, header: FrameHeader, request: ClientRequest) {
        inFlight -= 1
        guard connection.isOpen else { return }
        if request.tag == Self.useTag, header.opcode == Opcode.result.rawValue {
            var reader = CQLReader(frame.messageBody(header) ?? UnsafeRawBufferPointer(start: nil, count: 0))
            if (try? reader.readInt()) == 3, let name = try? reader.readString() { keyspace = name }
        }
        connection.write(UnsafeRawBufferPointer(frame))
        checkOwnBackPressure()
    }

    func upstreamDidFail(_ request: ClientRequest, error: UpstreamError) {
        inFlight -= 1
        guard connection.isOpen else { return }
        let message: ErrorMessage
        switch error {
        case .keyspaceUnavailable(let ks, let why):
            message = ErrorMessage(code: .invalid, message: "Keyspace '\(ks)' is not usable: \(why)")
        case .noConnectionAvailable:
            message = .overloaded("No upstream connection available")
        default:
            message = .serverError("Upstream request failed: \(error)")
        }
        reply(.error(message), stream: request.clientStream)
    }
}

extension ErrorMessage {
    static func overloaded(_ message: String) -> ErrorMessage { ErrorMessage(code: .overloaded, message: message) }
}
