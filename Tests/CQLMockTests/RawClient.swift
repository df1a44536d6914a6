import CQLProtocol
import Glibc
import TestSupport
import Testing
@testable import CQLMock

/// A minimal blocking CQL client for tests that need exact frames: it writes what it is told and reads whole
/// frames back, with a receive timeout so no test can hang on a silent server.
final class RawClient {
    let socket: ConnectedSocket
    private var nextStream: Int16 = 1

    init(_ node: MockNode, timeout: Duration = .seconds(5)) throws {
        socket = try ConnectedSocket(connectingTo: node.address, port: UInt16(node.port))
        socket.setReceiveTimeout(timeout)
    }

    deinit { socket.close() }

    func sendRaw(_ bytes: [UInt8]) throws { try socket.write(bytes) }

    /// Sends `request` and returns the stream it used.
    @discardableResult
    func send(_ request: RequestMessage, version: ProtocolVersion = .v4, stream: Int16? = nil) throws -> StreamID {
        let id = StreamID(stream ?? nextStream)
        if stream == nil { nextStream += 1 }
        try socket.write(Frame(request: request, version: version, stream: id).encode())
        return id
    }

    /// The next whole frame, or nil on EOF / timeout.
    func readFrame() -> Frame? {
        guard let head = socket.read(exactly: FrameHeader.size),
              case .header(let header) = FrameHeader.parse(head),
              let body = socket.read(exactly: Int(header.length)) else { return nil }
        return Frame(header: header, body: body)
    }

    /// The next frame decoded as a response.
    func readResponse() throws -> (frame: Frame, message: ResponseMessage) {
        let frame = try #require(readFrame(), "no frame from the server")
        return (frame, try frame.responseMessage())
    }

    /// Sends `request` and reads its response, which must be on the same stream.
    func roundTrip(_ request: RequestMessage, version: ProtocolVersion = .v4) throws -> ResponseMessage {
        let stream = try send(request, version: version)
        let (frame, message) = try readResponse()
        #expect(frame.header.stream == stream)
        #expect(frame.header.version == version.rawValue)
        return message
    }

    /// OPTIONS-free handshake: STARTUP (and login when credentials are given), expecting success.
    func startup(version: ProtocolVersion = .v4, credentials: (String, String)? = nil) throws {
        let answer = try roundTrip(.startup(["CQL_VERSION": "3.0.0"]), version: version)
        if let (user, password) = credentials {
            guard case .authenticate = answer else { Issue.record("expected AUTHENTICATE, got \(answer)"); return }
            let token = [0] + Array(user.utf8) + [0] + Array(password.utf8)
            let result = try roundTrip(.authResponse(token), version: version)
            guard case .authSuccess = result else { Issue.record("expected AUTH_SUCCESS, got \(result)"); return }
        } else {
            guard case .ready = answer else { Issue.record("expected READY, got \(answer)"); return }
        }
    }

    enum Silence: Equatable { case closed, timedOut, data }

    /// What the server does next: closes the connection, sends something, or stays silent for the timeout.
    func nextEvent() -> Silence {
        var byte: UInt8 = 0
        while true {
            let n = recv(socket.fd.raw, &byte, 1, 0)
            if n > 0 { return .data }
            if n == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .timedOut
            default: return .closed   // ECONNRESET
            }
        }
    }
}

extension ResponseMessage {
    /// The ERROR's message, or nil for another response.
    var error: ErrorMessage? { if case .error(let e) = self { e } else { nil } }
}

extension ChangeSignal: ChangeNotifying {}
