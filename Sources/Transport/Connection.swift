import EventLoop
import Posix

/// What a connection reports to its owner. All calls happen on the connection's loop.
public protocol ConnectionDelegate: AnyObject {
    /// New bytes are in `buffer`; consume whole frames and leave the rest for next time.
    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer)
    /// The queued output dropped below the low-water mark after having been above the high-water mark.
    func connectionDidDrain(_ connection: Connection)
    /// Called once, after which the connection is unusable. `error` is nil for an orderly close by the peer.
    func connectionDidClose(_ connection: Connection, error: Error?)
}

extension ConnectionDelegate {
    public func connectionDidDrain(_ connection: Connection) {}
}

/// A byte stream on one loop: TCP now, TLS behind the same interface later.
public protocol Connection: AnyObject {
    var loop: EventLoop { get }
    var delegate: ConnectionDelegate? { get set }
    var remoteAddress: SocketAddress? { get }
    var localAddress: SocketAddress? { get }
    var isOpen: Bool { get }
    /// Bytes queued and not yet written.
    var pendingWriteCount: Int { get }
    /// True once queued output passed the high-water mark; back-pressure for whoever feeds this connection.
    var isWriteBackedUp: Bool { get }
    /// Queues bytes; they leave before the loop next sleeps, gathered with everything else queued.
    func write(_ bytes: UnsafeRawBufferPointer)
    func pauseReading()
    func resumeReading()
    /// Closes now (queued bytes are dropped) and tells the delegate.
    func close(error: Error?)
    /// Writes what is queued, then closes.
    func closeAfterFlush()
}

extension Connection {
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }
}

public struct ConnectionLimits: Sendable {
    public var highWater: Int
    public var lowWater: Int
    public init(highWater: Int = 1 << 20, lowWater: Int = 256 << 10) {
        self.highWater = highWater
        self.lowWater = lowWater
    }
}

public enum TransportError: Error, CustomStringConvertible, Sendable {
    case connectTimeout(SocketAddress)
    case closedByPeer
    case io(IOError)

    public var description: String {
        switch self {
        case .connectTimeout(let address): return "connect to \(address) timed out"
        case .closedByPeer: return "connection closed by peer"
        case .io(let error): return error.description
        }
    }
}
