/// Compresses and decompresses CQL frame bodies (never headers) with the algorithm agreed in STARTUP.
/// A value type with a switch rather than a protocol: two algorithms, no existential on the data path.
public struct FrameBodyCodec: Sendable, Hashable {
    public let algorithm: CompressionAlgorithm

    public init(_ algorithm: CompressionAlgorithm) {
        self.algorithm = algorithm
    }

    /// Appends the compressed form of `body` to `out`, so a caller can write the frame header first.
    /// Note the Python driver never sets the compressed flag on an empty body; this still encodes one
    /// correctly (lz4: `00000000 00`, snappy: `00`), and the caller decides whether to use it.
    public func compress(_ body: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        switch algorithm {
        case .lz4: LZ4Codec.compress(body, into: &out)
        case .snappy: SnappyCodec.compress(body, into: &out)
        }
    }

    /// Decompresses a body whose frame had the compressed flag. `maxLength` is the proxy's frame limit:
    /// nothing larger is ever allocated, and a body announcing more is an error.
    public func decompress(_ body: UnsafeRawBufferPointer, maxLength: Int) throws(CompressionError) -> [UInt8] {
        switch algorithm {
        case .lz4: try LZ4Codec.decompress(body, maxLength: maxLength)
        case .snappy: try SnappyCodec.decompress(body, maxLength: maxLength)
        }
    }
}

/// Both C libraries want non-null pointers even for zero bytes; an empty Swift buffer has none.
@inline(__always)
func withCBytes<R>(_ buffer: UnsafeRawBufferPointer, _ body: (UnsafePointer<CChar>) -> R) -> R {
    if let base = buffer.baseAddress { return body(base.assumingMemoryBound(to: CChar.self)) }
    var zero: CChar = 0
    return withUnsafePointer(to: &zero, body)
}

@inline(__always)
func withCMutableBytes<R>(_ buffer: UnsafeMutableBufferPointer<UInt8>, _ body: (UnsafeMutablePointer<CChar>) -> R) -> R {
    if let base = buffer.baseAddress { return body(UnsafeMutableRawPointer(base).assumingMemoryBound(to: CChar.self)) }
    var zero: CChar = 0
    return withUnsafeMutablePointer(to: &zero, body)
}

extension Array where Element == UInt8 {
    /// Grows by `capacity` bytes, lets `fill` write a prefix of them and return its length, and drops
    /// the rest. Zero-filling first costs a memset, far below what compressing the same bytes costs.
    mutating func appendCompressed(capacity: Int, _ fill: (UnsafeMutablePointer<CChar>) -> Int) {
        let start = count
        append(contentsOf: repeatElement(0, count: capacity))
        let written = withUnsafeMutableBufferPointer { all in
            fill(UnsafeMutableRawPointer(all.baseAddress! + start).assumingMemoryBound(to: CChar.self))
        }
        precondition(written >= 0 && written <= capacity, "compressor wrote \(written) of \(capacity) bytes")
        removeLast(capacity - written)
    }
}
