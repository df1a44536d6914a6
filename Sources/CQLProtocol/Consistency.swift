/// A [consistency] (§3). A struct rather than an enum so unknown levels from the wire survive a round trip.
public struct Consistency: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let any = Consistency(rawValue: 0x0000)
    public static let one = Consistency(rawValue: 0x0001)
    public static let two = Consistency(rawValue: 0x0002)
    public static let three = Consistency(rawValue: 0x0003)
    public static let quorum = Consistency(rawValue: 0x0004)
    public static let all = Consistency(rawValue: 0x0005)
    public static let localQuorum = Consistency(rawValue: 0x0006)
    public static let eachQuorum = Consistency(rawValue: 0x0007)
    public static let serial = Consistency(rawValue: 0x0008)
    public static let localSerial = Consistency(rawValue: 0x0009)
    public static let localOne = Consistency(rawValue: 0x000A)

    private static let names = [
        "ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL",
        "LOCAL_ONE",
    ]

    /// Parses the spec's spelling ("LOCAL_QUORUM"), case-insensitively.
    public init?(name: String) {
        guard let index = Self.names.firstIndex(of: name.uppercased()) else { return nil }
        self.init(rawValue: UInt16(index))
    }

    /// The spec's spelling, or "UNKNOWN(0x…)" for a level this module does not know.
    public var name: String {
        Int(rawValue) < Self.names.count
            ? Self.names[Int(rawValue)] : "UNKNOWN(0x\(String(rawValue, radix: 16)))"
    }

    public var isSerial: Bool { self == .serial || self == .localSerial }
    public var description: String { name }
}

extension Consistency {
    /// Overwrites the [consistency] at `offset` (as reported by a view) in an encoded message.
    public static func write(_ c: Consistency, at offset: Int, into body: UnsafeMutableRawBufferPointer) {
        precondition(offset >= 0 && offset + 2 <= body.count, "consistency offset outside the body")
        body[offset] = UInt8(c.rawValue >> 8)
        body[offset + 1] = UInt8(c.rawValue & 0xFF)
    }

    public static func write(_ c: Consistency, at offset: Int, into body: inout [UInt8]) {
        body.withUnsafeMutableBytes { write(c, at: offset, into: $0) }
    }
}
