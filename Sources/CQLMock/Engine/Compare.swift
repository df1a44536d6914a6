import Foundation
import CQLProtocol

/// Ordering of serialized values as Cassandra sorts them for clustering columns, set elements and map keys.
enum ValueOrder {
    static func compare(_ a: [UInt8], _ b: [UInt8], _ t: DataType) -> Int {
        switch t {
        case .int, .bigint, .smallint, .tinyint, .counter, .timestamp, .time:
            return signed(a, b)
        case .varint:
            return varint(a, b)
        case .float where a.count == 4 && b.count == 4:
            return order(Float(bitPattern: be32(a)), Float(bitPattern: be32(b)))
        case .double where a.count == 8 && b.count == 8:
            return order(Double(bitPattern: be64(a)), Double(bitPattern: be64(b)))
        case .decimal where a.count >= 4 && b.count >= 4:
            return order(decimalApprox(a), decimalApprox(b))
        case .timeuuid where a.count == 16 && b.count == 16:
            let c = order(uuidTime(a), uuidTime(b))
            return c != 0 ? c : bytes(a, b)
        case .uuid where a.count == 16 && b.count == 16:
            let va = a[6] >> 4, vb = b[6] >> 4
            if va != vb { return order(va, vb) }
            if va == 1 {
                let c = order(uuidTime(a), uuidTime(b))
                if c != 0 { return c }
            }
            return bytes(a, b)
        default:
            return bytes(a, b)
        }
    }

    /// Compares nullable values; null (absent) sorts first.
    static func compare(_ a: [UInt8]?, _ b: [UInt8]?, _ t: DataType) -> Int {
        switch (a, b) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case let (x?, y?): return compare(x, y, t)
        }
    }

    static func bytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let n = min(a.count, b.count)
        var i = 0
        while i < n {
            if a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
            i += 1
        }
        return order(a.count, b.count)
    }

    private static func order<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x > y ? 1 : 0) }

    /// Same-width two's complement big-endian: flip the sign bit of the first byte, then bytewise.
    private static func signed(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty || b.isEmpty || a.count != b.count { return varint(a, b) }
        if a[0] != b[0] { return order(a[0] ^ 0x80, b[0] ^ 0x80) }
        return bytes(a, b)
    }

    private static func varint(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty || b.isEmpty { return order(a.count, b.count) }
        let na = a[0] & 0x80 != 0, nb = b[0] & 0x80 != 0
        if na != nb { return na ? -1 : 1 }
        if a.count != b.count { return na ? order(b.count, a.count) : order(a.count, b.count) }
        return bytes(a, b)
    }

    static func be32(_ a: [UInt8]) -> UInt32 { a.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }
    static func be64(_ a: [UInt8]) -> UInt64 { a.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } }

    private static func uuidTime(_ u: [UInt8]) -> UInt64 {
        let hi = UInt64(u[6] & 0x0F) << 56 | UInt64(u[7]) << 48
        let mid = UInt64(u[4]) << 40 | UInt64(u[5]) << 32
        let low = UInt64(u[0]) << 24 | UInt64(u[1]) << 16 | UInt64(u[2]) << 8 | UInt64(u[3])
        return hi | mid | low
    }

    private static func decimalApprox(_ a: [UInt8]) -> Double {
        let scale = Int32(bitPattern: be32(a))
        var v = 0.0
        let mag = Array(a.dropFirst(4))
        for (i, byte) in mag.enumerated() {
            v = v * 256 + Double(i == 0 ? Double(Int8(bitPattern: byte)) : Double(byte))
        }
        return v / pow(10, Double(scale))
    }
}
