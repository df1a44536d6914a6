/// Why a compressed frame body was rejected. Any of these means the peer sent a bad frame: the session
/// answers with a PROTOCOL_ERROR rather than trapping or allocating what the body claims.
public enum CompressionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Too short to hold even the format's header (lz4's 4-byte length, snappy's varint).
    case truncated(CompressionAlgorithm)
    /// The announced uncompressed length is above the proxy's frame limit.
    case tooLarge(CompressionAlgorithm, announced: Int, limit: Int)
    /// The block does not decode to exactly the announced length.
    case corrupt(CompressionAlgorithm)

    public var description: String {
        switch self {
        case .truncated(let a): "\(a.rawValue): compressed body too short"
        case .tooLarge(let a, let announced, let limit):
            "\(a.rawValue): uncompressed length \(announced) exceeds the limit of \(limit) bytes"
        case .corrupt(let a): "\(a.rawValue): corrupt compressed body"
        }
    }
}
