import EventLoop
import Posix
import Transport

/// How a connection to the server is opened: plain TCP, or TLS with a shared context and per-connection SNI
/// (the Astra SNI front picks the node by the server name). Built on the main thread, used on any loop.
struct Dialer: Sendable {
    enum Security: Sendable {
        case plain
        case tls(context: TLSContext, serverName: String?, expectedHostName: String?)
    }

    let address: SocketAddress
    let security: Security

    static func plain(_ address: SocketAddress) -> Dialer { Dialer(address: address, security: .plain) }

    /// Something in progress that the owner can abandon (its completion is then never called).
    struct Attempt {
        let cancel: () -> Void
    }

    /// Starts connecting; `completion` runs once on `loop` with an open connection (TLS handshake done) or a
    /// description of what failed. Call on `loop`.
    @discardableResult
    func connect(on loop: EventLoop, timeout: Duration,
                 completion: @escaping (Result<Connection, DialError>) -> Void) -> Attempt {
        switch security {
        case .plain:
            let connector = TCPConnector.connect(to: address, on: loop, timeout: timeout) { result in
                completion(result.map { $0 as Connection }.mapError { DialError(description: "\($0)") })
            }
            return Attempt { connector.cancel() }
        case .tls(let context, let serverName, let expectedHostName):
            let connector = TLSConnector.connect(to: address, on: loop, context: context, serverName: serverName,
                                                 expectedHostName: expectedHostName, timeout: timeout) { result in
                completion(result.map { $0 as Connection }.mapError { DialError(description: "TLS: \($0)") })
            }
            return Attempt { connector.cancel() }
        }
    }

    var summary: String {
        switch security {
        case .plain: return "\(address)"
        case .tls(_, let serverName, _): return "\(address) (TLS, SNI \(serverName ?? "none"))"
        }
    }
}

struct DialError: Error, CustomStringConvertible {
    let description: String
}
