import Foundation

/// Reads the notations of spec §3 from borrowed bytes.
///
/// It is a cursor over an `UnsafeRawBufferPointer`: no copy is made until a value is returned (a `String`,
/// a `[UInt8]`), so the proxy can read a query string straight out of its receive buffer. The pointer is only
/// valid where it was lent, so a reader must not escape its `withUnsafeBytes` (use `CQLReader.read(_:_:)`
/// to read an array). Every read checks the remaining length first and throws `.truncated` or `.malformed`;
/// nothing here can trap on hostile input.
public struct CQLReader {
    public let bytes: UnsafeRawBufferPointer
    /// Byte offset of the next read, from the start of `bytes`.
    public private(set) var offset: Int

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = min(max(offset, 0), bytes.count)
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    /// Runs `body` with a reader over `array`, keeping the typed error (`withUnsafeBytes` only rethrows).
    public static func read<R>(
        _ array: [UInt8], _ body: (inout CQLReader) throws(CQLProtocolError) -> R
    ) throws(CQLProtocolError) -> R {
        let result = array.withUnsafeBytes { raw in
            Result { () throws(CQLProtocolError) -> R in
                var reader = CQLReader(raw)
                return try body(&reader)
            }
        }
        return try result.get()
    }

    // MARK: Fixed-size

    @inline(__always)
    mutating func require(_ n: Int, _ what: @autoclosure () -> String) throws(CQLProtocolError) {
        guard n >= 0, remaining >= n else { throw .truncated(what()) }
    }

    /// Throws unless `count` elements of at least `minSize` (≥ 1) bytes each can still fit: stops a hostile
    /// count from driving a long loop (or a large allocation) before the bytes run out.
    @inline(__always)
    mutating func requireCount(_ count: Int, minSize: Int, _ what: @autoclosure () -> String)
        throws(CQLProtocolError)
    {
        guard count >= 0 else { throw .malformed("\(what()): negative count \(count)") }
        let (total, overflow) = count.multipliedReportingOverflow(by: max(minSize, 1))
        guard !overflow, total <= remaining else { throw .truncated("\(what()): \(count) elements") }
    }

    private mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: String) throws(CQLProtocolError) -> T {
        try require(MemoryLayout<T>.size, what)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset &+= MemoryLayout<T>.size
        return T(bigEndian: v)
    }

    public mutating func readByte() throws(CQLProtocolError) -> UInt8 { try load(UInt8.self, "[byte]") }
    public mutating func readShort() throws(CQLProtocolError) -> UInt16 { try load(UInt16.self, "[short]") }
    public mutating func readInt() throws(CQLProtocolError) -> Int32 { try load(Int32.self, "[int]") }
    public mutating func readLong() throws(CQLProtocolError) -> Int64 { try load(Int64.self, "[long]") }

    /// Copies the next `count` bytes.
    public mutating func readRaw(count: Int) throws(CQLProtocolError) -> [UInt8] {
        try require(count, "\(count) bytes")
        let out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ count)]))
        offset &+= count
        return out
    }

    /// Moves past `count` bytes without copying them.
    public mutating func skip(_ count: Int) throws(CQLProtocolError) {
        try require(count, "\(count) bytes")
        offset &+= count
    }

    /// Everything not read yet, copied.
    public mutating func readRemaining() -> [UInt8] {
        let out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        offset = bytes.count
        return out
    }

    // MARK: Strings

    private mutating func readUTF8(count: Int, _ what: String) throws(CQLProtocolError) -> String {
        try require(count, what)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ count)])
        guard let s = String(validating: slice, as: UTF8.self) else { throw .malformed("\(what) is not UTF-8") }
        offset &+= count
        return s
    }

    public mutating func readString() throws(CQLProtocolError) -> String {
        let n = try readShort()
        return try readUTF8(count: Int(n), "[string]")
    }

    public mutating func readLongString() throws(CQLProtocolError) -> String {
        let n = try readInt()
        guard n >= 0 else { throw .malformed("[long string] length \(n)") }
        return try readUTF8(count: Int(n), "[long string]")
    }

    public mutating func readUUID() throws(CQLProtocolError) -> UUID {
        try require(16, "[uuid]")
        var t: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &t) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ 16)]))
        }
        offset &+= 16
        return UUID(uuid: t)
    }

    public mutating func readStringList() throws(CQLProtocolError) -> [String] {
        let n = Int(try readShort())
        try requireCount(n, minSize: 2, "[string list]")
        var out: [String] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readString()) }
        return out
    }

    // MARK: Byte strings

    /// A [bytes]: `nil` when the length is negative (null).
    public mutating func readBytes() throws(CQLProtocolError) -> [UInt8]? {
        let n = try readInt()
        if n < 0 { return nil }
        return try readRaw(count: Int(n))
    }

    /// A [value]: -1 is null, -2 is not set, anything below is an error.
    public mutating func readValue() throws(CQLProtocolError) -> BoundValue {
        let n = try readInt()
        switch n {
        case -1: return .null
        case -2: return .unset
        case ..<(-2): throw .malformed("[value] length \(n)")
        default: return .bytes(try readRaw(count: Int(n)))
        }
    }

    public mutating func readShortBytes() throws(CQLProtocolError) -> [UInt8] {
        let n = try readShort()
        return try readRaw(count: Int(n))
    }

    // MARK: Variable-length integers (v5 §3)

    /// The count of leading 1 bits in the first byte says how many bytes follow; the rest of the first byte
    /// holds the most significant bits.
    public mutating func readUnsignedVInt() throws(CQLProtocolError) -> UInt64 {
        let first = try readByte()
        let extra = (~first).leadingZeroBitCount
        try require(extra, "[unsigned vint]")
        var value = UInt64(first & (0xFF >> extra))
        for _ in 0..<extra {
            value = value << 8 | UInt64(bytes[offset])
            offset &+= 1
        }
        return value
    }

    /// A zig-zag encoded [vint].
    public mutating func readVInt() throws(CQLProtocolError) -> Int64 {
        let u = try readUnsignedVInt()
        return Int64(bitPattern: u >> 1) ^ (0 &- Int64(bitPattern: u & 1))
    }

    // MARK: Addresses

    public mutating func readInetAddr() throws(CQLProtocolError) -> [UInt8] {
        let n = try readByte()
        guard n == 4 || n == 16 else { throw .malformed("[inetaddr] size \(n)") }
        return try readRaw(count: Int(n))
    }

    public mutating func readInet() throws(CQLProtocolError) -> CQLInet {
        let address = try readInetAddr()
        return CQLInet(address: address, port: try readInt())
    }

    public mutating func readConsistency() throws(CQLProtocolError) -> Consistency {
        Consistency(rawValue: try readShort())
    }

    // MARK: Maps (duplicate keys: the last wins, never a trap)

    public mutating func readStringMap() throws(CQLProtocolError) -> [String: String] {
        let n = Int(try readShort())
        try requireCount(n, minSize: 4, "[string map]")
        var out: [String: String] = [:]
        for _ in 0..<n {
            let k = try readString()
            out[k] = try readString()
        }
        return out
    }

    public mutating func readStringMultimap() throws(CQLProtocolError) -> [String: [String]] {
        let n = Int(try readShort())
        try requireCount(n, minSize: 4, "[string multimap]")
        var out: [String: [String]] = [:]
        for _ in 0..<n {
            let k = try readString()
            out[k] = try readStringList()
        }
        return out
    }

    public mutating func readBytesMap() throws(CQLProtocolError) -> [String: [UInt8]?] {
        let n = Int(try readShort())
        try requireCount(n, minSize: 6, "[bytes map]")
        var out: [String: [UInt8]?] = [:]
        for _ in 0..<n {
            let k = try readString()
            out[k] = .some(try readBytes())
        }
        return out
    }

    // MARK: Skipping (for the partial decoders: move on without copying)

    public mutating func skipLongString() throws(CQLProtocolError) {
        let n = try readInt()
        guard n >= 0 else { throw .malformed("[long string] length \(n)") }
        try skip(Int(n))
    }

    public mutating func skipString() throws(CQLProtocolError) { try skip(Int(try readShort())) }

    public mutating func skipShortBytes() throws(CQLProtocolError) { try skip(Int(try readShort())) }

    public mutating func skipValue() throws(CQLProtocolError) {
        let n = try readInt()
        guard n >= -2 else { throw .malformed("[value] length \(n)") }
        if n > 0 { try skip(Int(n)) }
    }
}
