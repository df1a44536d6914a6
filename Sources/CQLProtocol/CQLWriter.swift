import Foundation

/// Appends the notations of spec §3 to a byte array.
///
/// Writing never fails: the caller owns the values, so a count that no notation can carry (more than 65535
/// entries in a [short]-counted list, more than 2 GiB in an [int]-counted one) is a programmer error and traps.
/// The one exception is [string] text longer than 65535 bytes (an error message quoting a huge query, say),
/// which is cut at a character boundary instead.
public struct CQLWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public init(appendingTo bytes: [UInt8]) { self.bytes = bytes }

    public var count: Int { bytes.count }

    // MARK: Fixed-size

    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func writeByte(_ v: UInt8) { bytes.append(v) }
    public mutating func writeShort(_ v: UInt16) { append(v) }
    public mutating func writeInt(_ v: Int32) { append(v) }
    public mutating func writeLong(_ v: Int64) { append(v) }
    public mutating func writeRaw(_ raw: some Sequence<UInt8>) { bytes.append(contentsOf: raw) }

    /// Overwrites an [int] written earlier (a length known only after its content).
    public mutating func setInt(_ v: Int32, at offset: Int) {
        let be = UInt32(bitPattern: v).bigEndian
        withUnsafeBytes(of: be) { src in
            for i in 0..<4 { bytes[offset + i] = src[i] }
        }
    }

    private mutating func writeShortCount(_ n: Int, _ what: StaticString) {
        precondition(n >= 0 && n <= Int(UInt16.max), "\(what): \(n) entries do not fit a [short]")
        writeShort(UInt16(n))
    }

    private mutating func writeIntCount(_ n: Int, _ what: StaticString) {
        precondition(n >= 0 && n <= Int(Int32.max), "\(what): \(n) does not fit an [int]")
        writeInt(Int32(n))
    }

    // MARK: Strings

    public mutating func writeString(_ s: String) {
        var utf8 = Array(s.utf8)
        if utf8.count > Int(UInt16.max) {
            var cut = Int(UInt16.max)
            while cut > 0 && utf8[cut] & 0xC0 == 0x80 { cut -= 1 }   // do not split a character
            utf8.removeSubrange(cut...)
        }
        writeShort(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    public mutating func writeLongString(_ s: String) {
        writeIntCount(s.utf8.count, "[long string]")
        bytes.append(contentsOf: s.utf8)
    }

    public mutating func writeUUID(_ u: UUID) {
        withUnsafeBytes(of: u.uuid) { bytes.append(contentsOf: $0) }
    }

    public mutating func writeStringList(_ list: [String]) {
        writeShortCount(list.count, "[string list]")
        for s in list { writeString(s) }
    }

    // MARK: Byte strings

    /// A [bytes]; `nil` is written as length -1 (null).
    public mutating func writeBytes(_ b: [UInt8]?) {
        guard let b else { writeInt(-1); return }
        writeIntCount(b.count, "[bytes]")
        bytes.append(contentsOf: b)
    }

    public mutating func writeValue(_ v: BoundValue) {
        switch v {
        case .bytes(let b): writeBytes(b)
        case .null: writeInt(-1)
        case .unset: writeInt(-2)
        }
    }

    public mutating func writeShortBytes(_ b: [UInt8]) {
        writeShortCount(b.count, "[short bytes]")
        bytes.append(contentsOf: b)
    }

    // MARK: Variable-length integers (v5 §3)

    public mutating func writeUnsignedVInt(_ v: UInt64) {
        let bits = 64 - v.leadingZeroBitCount
        // k bytes carry 7k bits up to k = 8; the 9-byte form (first byte 0xFF) carries all 64.
        let total = bits <= 56 ? max(1, (bits + 6) / 7) : 9
        let extra = total - 1
        let prefix = UInt8(truncatingIfNeeded: 0xFF00 >> extra)
        let top = extra >= 8 ? 0 : UInt8(truncatingIfNeeded: v >> (8 * extra))
        bytes.append(prefix | top)
        for i in stride(from: extra - 1, through: 0, by: -1) {
            bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i)))
        }
    }

    public mutating func writeVInt(_ v: Int64) {
        writeUnsignedVInt(UInt64(bitPattern: (v >> 63) ^ (v << 1)))
    }

    // MARK: Addresses

    public mutating func writeInetAddr(_ address: [UInt8]) {
        precondition(address.count == 4 || address.count == 16, "[inetaddr] of \(address.count) bytes")
        bytes.append(UInt8(address.count))
        bytes.append(contentsOf: address)
    }

    public mutating func writeInet(_ inet: CQLInet) {
        writeInetAddr(inet.address)
        writeInt(inet.port)
    }

    public mutating func writeConsistency(_ c: Consistency) { writeShort(c.rawValue) }

    // MARK: Maps (written in key order, so encoding is deterministic)

    public mutating func writeStringMap(_ map: [String: String]) {
        writeShortCount(map.count, "[string map]")
        for k in map.keys.sorted() {
            writeString(k)
            writeString(map[k] ?? "")
        }
    }

    public mutating func writeStringMultimap(_ map: [String: [String]]) {
        writeShortCount(map.count, "[string multimap]")
        for k in map.keys.sorted() {
            writeString(k)
            writeStringList(map[k] ?? [])
        }
    }

    public mutating func writeBytesMap(_ map: [String: [UInt8]?]) {
        writeShortCount(map.count, "[bytes map]")
        for k in map.keys.sorted() {
            writeString(k)
            writeBytes(map[k] ?? nil)
        }
    }
}
