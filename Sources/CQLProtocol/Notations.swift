/// An [inet] (§3): a node address with its port.
public struct CQLInet: Hashable, Sendable, CustomStringConvertible {
    /// 4 (IPv4) or 16 (IPv6) bytes, network order.
    public var address: [UInt8]
    public var port: Int32
    public init(address: [UInt8], port: Int32) { self.address = address; self.port = port }

    public var description: String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") + ":\(port)" }
        var groups: [String] = []
        var i = 0
        while i + 1 < address.count {
            groups.append(String(UInt16(address[i]) << 8 | UInt16(address[i + 1]), radix: 16))
            i += 2
        }
        return "[" + groups.joined(separator: ":") + "]:\(port)"
    }
}

/// A [value] (§3): a bound variable, which unlike [bytes] can also be "not set" (n == -2).
public enum BoundValue: Hashable, Sendable {
    case bytes([UInt8])
    case null
    case unset

    /// `nil` maps to null, as in a [bytes].
    public init(_ bytes: [UInt8]?) { self = bytes.map { .bytes($0) } ?? .null }
}
