import CQLProtocol
import Glibc
import Testing

/// A blocking CQL client speaking exact bytes, with a receive timeout so a silent peer fails the test
/// instead of hanging it.
final class RawCQLClient {
    private let fd: Int32
    private var nextStream: Int16 = 1

    init(port: Int, host: String = "127.0.0.1", timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(rc == 0, "connect to \(host):\(port) failed: errno \(errno)")
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func sendRaw(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    @discardableResult
    func send(_ request: RequestMessage, version: ProtocolVersion = .v4) -> StreamID {
        let stream = StreamID(nextStream)
        nextStream += 1
        sendRaw(Frame(request: request, version: version, stream: stream).encode())
        return stream
    }

    /// Exactly `count` bytes, or nil on EOF or timeout.
    func read(exactly count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            got += n
        }
        return out
    }

    func readFrame() -> Frame? {
        guard let head = read(exactly: FrameHeader.size), case .header(let header) = FrameHeader.parse(head),
              let body = read(exactly: Int(header.length)) else { return nil }
        return Frame(header: header, body: body)
    }

    /// True when the peer closed the connection (EOF) within the timeout.
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    func roundTrip(_ request: RequestMessage, version: ProtocolVersion = .v4) throws -> ResponseMessage {
        let stream = send(request, version: version)
        let frame = try #require(readFrame(), "no answer to \(request.opcode)")
        #expect(frame.header.stream == stream)
        return try frame.responseMessage()
    }

    func startup(version: ProtocolVersion = .v4) throws {
        let answer = try roundTrip(.startup(["CQL_VERSION": "3.0.0"]), version: version)
        guard case .ready = answer else { Issue.record("STARTUP answered \(answer)"); return }
    }

    func query(_ text: String, version: ProtocolVersion = .v4) throws -> ResponseMessage {
        try roundTrip(.query(QueryRequest(query: text, parameters: QueryParameters(consistency: .one))), version: version)
    }
}

import CQLProtocol

enum CQLValueDecoder {
    static func decode(_ bytes: [UInt8]?, _ type: DataType) throws -> CQLValue {
        try CQLValue.decode(bytes, as: type)
    }
}
