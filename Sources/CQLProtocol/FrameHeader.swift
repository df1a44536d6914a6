/// The 9-byte header of a v3+ frame (§2).
public struct FrameHeader: Hashable, Sendable {
    /// Protocol version, direction bit removed.
    public var version: UInt8
    public var isResponse: Bool
    public var flags: FrameFlags
    public var stream: StreamID
    /// Raw, so a frame with an unknown opcode still parses and can be answered with an ERROR.
    public var opcode: UInt8
    /// Body length in bytes.
    public var length: UInt32

    public static let size = 9
    /// The spec's frame limit.
    public static let defaultMaxBodyLength = 256 * 1024 * 1024

    public init(
        version: ProtocolVersion, isResponse: Bool, flags: FrameFlags = [], stream: StreamID, opcode: Opcode,
        length: UInt32 = 0
    ) {
        self.init(
            version: version.rawValue, isResponse: isResponse, flags: flags, stream: stream,
            opcode: opcode.rawValue, length: length)
    }

    public init(
        version: UInt8, isResponse: Bool, flags: FrameFlags, stream: StreamID, opcode: UInt8, length: UInt32
    ) {
        self.version = version & 0x7F
        self.isResponse = isResponse
        self.flags = flags
        self.stream = stream
        self.opcode = opcode
        self.length = length
    }

    public var protocolVersion: ProtocolVersion { ProtocolVersion(rawValue: version) }
    /// `nil` for an opcode the protocol does not define.
    public var knownOpcode: Opcode? { Opcode(rawValue: opcode) }

    /// Reads a header from the start of `bytes`.
    ///
    /// Versions 1 and 2 (whose header is only 8 bytes) and versions above 5 are reported as
    /// `.invalid(.unsupportedVersion)` as soon as the first byte arrives, so the caller can answer with a
    /// protocol error on `legacyStreamID(_:)` without waiting for a header it cannot read.
    /// A length that is negative as an [int], or above `maxBodyLength`, is `.frameTooLarge`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxBodyLength: Int = defaultMaxBodyLength)
        -> FrameParse
    {
        if let header = valid(bytes, maxBodyLength: maxBodyLength) { return .header(header) }
        // Why not: the first byte decides the version, then the length.
        guard let first = bytes.first else { return .incomplete }
        let version = first & 0x7F
        guard version >= 3 && version <= 5 else { return .invalid(.unsupportedVersion(version)) }
        guard bytes.count >= size else { return .incomplete }
        let length = Int(Int32(bitPattern: UInt32(bytes[5]) << 24 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 8 | UInt32(bytes[8])))
        return .invalid(.frameTooLarge(length: length, limit: maxBodyLength))
    }

    /// The header at the start of `bytes` when all 9 bytes are there and it is one `parse` accepts, else nil
    /// (`parse` then says why). Inline loads and compares, nothing to wrap: the read loops' fast path.
    @inlinable
    public static func valid(_ bytes: UnsafeRawBufferPointer, maxBodyLength: Int) -> FrameHeader? {
        guard bytes.count >= size, let p = bytes.baseAddress else { return nil }
        let first = p.load(as: UInt8.self)
        let version = first & 0x7F
        guard version >= 3 && version <= 5 else { return nil }
        let length = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 5, as: UInt32.self))
        guard length <= Int32.max, Int(length) <= maxBodyLength else { return nil }
        let stream = Int16(bitPattern: UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        return FrameHeader(
            version: version, isResponse: first & 0x80 != 0, flags: FrameFlags(rawValue: p.load(fromByteOffset: 1, as: UInt8.self)),
            stream: StreamID(stream), opcode: p.load(fromByteOffset: 4, as: UInt8.self), length: length)
    }

    public static func parse(_ bytes: [UInt8], maxBodyLength: Int = defaultMaxBodyLength) -> FrameParse {
        bytes.withUnsafeBytes { parse($0, maxBodyLength: maxBodyLength) }
    }

    /// The stream id of a frame whose version `parse` rejected, so the error can go back on it: v1/v2 carry a
    /// 1-byte stream at offset 2, later versions a [short]. `nil` until enough bytes are there.
    public static func legacyStreamID(_ bytes: UnsafeRawBufferPointer) -> StreamID? {
        guard let first = bytes.first else { return nil }
        if first & 0x7F < 3 {
            guard bytes.count >= 3 else { return nil }
            return StreamID(Int16(Int8(bitPattern: bytes[2])))
        }
        guard bytes.count >= 4 else { return nil }
        return StreamID(Int16(bitPattern: UInt16(bytes[2]) << 8 | UInt16(bytes[3])))
    }

    public static func legacyStreamID(_ bytes: [UInt8]) -> StreamID? {
        bytes.withUnsafeBytes { legacyStreamID($0) }
    }

    /// Appends the 9 header bytes.
    public func encode(into out: inout [UInt8]) {
        out.append(version & 0x7F | (isResponse ? 0x80 : 0))
        out.append(flags.rawValue)
        let s = UInt16(bitPattern: stream.rawValue)
        out.append(UInt8(s >> 8))
        out.append(UInt8(s & 0xFF))
        out.append(opcode)
        out.append(UInt8(length >> 24))
        out.append(UInt8(length >> 16 & 0xFF))
        out.append(UInt8(length >> 8 & 0xFF))
        out.append(UInt8(length & 0xFF))
    }

    /// Rewrites the stream id of an encoded header in place (bytes 2–3): the proxy swaps client and upstream
    /// ids without re-encoding the frame. `header` must hold at least 4 bytes.
    @inlinable
    public static func writeStreamID(_ id: StreamID, into header: UnsafeMutableRawBufferPointer) {
        precondition(header.count >= 4, "a frame header holds its stream id at bytes 2-3")
        let s = UInt16(bitPattern: id.rawValue)
        header[2] = UInt8(s >> 8)
        header[3] = UInt8(s & 0xFF)
    }

    public static func writeStreamID(_ id: StreamID, into frame: inout [UInt8]) {
        frame.withUnsafeMutableBytes { writeStreamID(id, into: $0) }
    }
}

/// The outcome of looking at the start of a byte stream.
public enum FrameParse: Hashable, Sendable {
    /// Not enough bytes yet to decide.
    case incomplete
    case header(FrameHeader)
    /// Framing is lost (or the version is one we cannot frame): answer if possible, then close.
    case invalid(CQLProtocolError)
}
