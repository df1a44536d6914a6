import CQLProtocol
import Glibc
import Posix

enum BenchError: Error, CustomStringConvertible {
    case io(IOError)
    case timeout(String)
    case closed
    case protocolViolation(String)
    case server(ErrorMessage)

    var description: String {
        switch self {
        case .io(let e): return e.description
        case .timeout(let what): return "timed out: \(what)"
        case .closed: return "connection closed by server"
        case .protocolViolation(let what): return "unexpected answer: \(what)"
        case .server(let e): return "server error \(e.code): \(e.message)"
        }
    }
}

/// A blocking, one-request-at-a-time CQL v4 connection for schema setup: simple, and off the measured path.
struct BlockingClient: ~Copyable {
    private let fd: FileDescriptor
    private var buffer: [UInt8] = []

    init(address: SocketAddress, timeoutSeconds: Int = 10) throws(BenchError) {
        let raw = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard raw >= 0 else { throw .io(IOError(errno: errno, call: "socket")) }
        let owned = FileDescriptor(owning: raw)   // closes the socket if connecting fails
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(raw, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(raw, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let connected: IOResult<CInt>
        do {
            connected = try syscall("connect") { address.withSockAddr { connect(raw, $0, $1) } }
        } catch { throw .io(error) }
        guard case .processed = connected else { throw .timeout("connect to \(address)") }
        fd = consume owned
    }

    /// STARTUP, and the SASL PLAIN login when the server asks for one.
    mutating func startup(credentials: Credentials? = nil) throws(BenchError) {
        let answer = try roundTrip(.startup(["CQL_VERSION": "3.0.0"]))
        switch answer {
        case .ready:
            return
        case .authenticate(let authenticator):
            guard let credentials else { throw .protocolViolation("the server wants a login (\(authenticator))") }
            let login = try roundTrip(.authResponse(credentials.plainToken))
            guard case .authSuccess = login else { throw .protocolViolation("AUTH_RESPONSE answered with \(login.opcode)") }
        default:
            throw .protocolViolation("STARTUP answered with \(answer.opcode)")
        }
    }

    /// Sends `request` on stream 0 and returns its answer; an ERROR answer is thrown.
    mutating func roundTrip(_ request: RequestMessage) throws(BenchError) -> ResponseMessage {
        try send(Frame(request: request, version: .v4, stream: StreamID(0)).encode())
        while true {
            let frame = try receiveFrame()
            guard frame.header.stream != StreamID.event else { continue }
            let message: ResponseMessage
            do { message = try frame.responseMessage() } catch {
                throw .protocolViolation("undecodable response: \(error)")
            }
            if case .error(let e) = message { throw .server(e) }
            return message
        }
    }

    private func send(_ bytes: [UInt8]) throws(BenchError) {
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(IOError) in try Socket.write(fd.rawValue, UnsafeRawBufferPointer(rebasing: raw[sent...])) }
            }
            guard case .processed(let n) = try result.mapError(BenchError.io).get() else { throw .timeout("send") }
            sent += n
        }
    }

    private mutating func receiveFrame() throws(BenchError) -> Frame {
        while true {
            do {
                if let (frame, used) = try Frame.decode(buffer) {
                    buffer.removeFirst(used)
                    return frame
                }
            } catch { throw .protocolViolation("framing lost: \(error)") }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let result = chunk.withUnsafeMutableBytes { raw in
                Result { () throws(IOError) in try Socket.read(fd.rawValue, into: raw) }
            }
            switch try result.mapError(BenchError.io).get() {
            case .wouldBlock: throw .timeout("response")
            case .processed(0): throw .closed
            case .processed(let n): buffer.append(contentsOf: chunk[0..<n])
            }
        }
    }
}
