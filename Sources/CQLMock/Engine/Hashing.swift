import Foundation

/// Murmur3 x64 128 as Cassandra's Murmur3Partitioner uses it (bytes read as signed, token = first half).
enum Murmur3 {
    static func token(_ key: [UInt8]) -> Int64 {
        let c1: UInt64 = 0x87c3_7b91_1142_53d5, c2: UInt64 = 0x4cf5_ad43_2745_937f
        var h1: UInt64 = 0, h2: UInt64 = 0
        let n = key.count
        func block(_ i: Int) -> UInt64 {      // little endian of sign-extended bytes, as Java does
            var k: UInt64 = 0
            for b in 0..<8 { k |= UInt64(key[i + b]) << (8 * UInt64(b)) }
            return k
        }
        func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
        func fmix(_ k0: UInt64) -> UInt64 {
            var k = k0
            k ^= k >> 33; k &*= 0xff51_afd7_ed55_8ccd; k ^= k >> 33; k &*= 0xc4ce_b9fe_1a85_ec53; k ^= k >> 33
            return k
        }
        let blocks = n / 16
        for i in 0..<blocks {
            var k1 = block(i * 16), k2 = block(i * 16 + 8)
            k1 &*= c1; k1 = rotl(k1, 31); k1 &*= c2; h1 ^= k1
            h1 = rotl(h1, 27); h1 &+= h2; h1 = h1 &* 5 &+ 0x52dc_e729
            k2 &*= c2; k2 = rotl(k2, 33); k2 &*= c1; h2 ^= k2
            h2 = rotl(h2, 31); h2 &+= h1; h2 = h2 &* 5 &+ 0x3849_5ab5
        }
        let tail = blocks * 16
        var k1: UInt64 = 0, k2: UInt64 = 0
        // Java's byte is signed: each tail byte is sign-extended before shifting.
        func sx(_ b: UInt8) -> UInt64 { UInt64(bitPattern: Int64(Int8(bitPattern: b))) }
        let rem = n & 15
        if rem >= 9 {
            for j in stride(from: rem - 1, through: 8, by: -1) { k2 ^= sx(key[tail + j]) << (UInt64(j - 8) * 8) }
            k2 &*= c2; k2 = rotl(k2, 33); k2 &*= c1; h2 ^= k2
        }
        if rem >= 1 {
            for j in stride(from: min(rem, 8) - 1, through: 0, by: -1) { k1 ^= sx(key[tail + j]) << (UInt64(j) * 8) }
            k1 &*= c1; k1 = rotl(k1, 31); k1 &*= c2; h1 ^= k1
        }
        h1 ^= UInt64(n); h2 ^= UInt64(n)
        h1 &+= h2; h2 &+= h1
        h1 = fmix(h1); h2 = fmix(h2)
        h1 &+= h2
        let t = Int64(bitPattern: h1)
        return t == Int64.min ? Int64.max : t     // Cassandra maps MINIMUM to MAXIMUM
    }
}

/// MD5 (RFC 1321), for prepared statement ids stable across nodes.
enum MD5 {
    static func digest(_ message: [UInt8]) -> [UInt8] {
        let s: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                           5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                           4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                           6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
        let k: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4294967296.0)) }
        var a0: UInt32 = 0x6745_2301, b0: UInt32 = 0xefcd_ab89, c0: UInt32 = 0x98ba_dcfe, d0: UInt32 = 0x1032_5476
        var msg = message
        let bitLen = UInt64(message.count) &* 8
        msg.append(0x80)
        while msg.count % 64 != 56 { msg.append(0) }
        for i in 0..<8 { msg.append(UInt8(truncatingIfNeeded: bitLen >> (8 * UInt64(i)))) }
        for chunk in stride(from: 0, to: msg.count, by: 64) {
            var m = [UInt32](repeating: 0, count: 16)
            for i in 0..<16 {
                let o = chunk + i * 4
                m[i] = UInt32(msg[o]) | UInt32(msg[o + 1]) << 8 | UInt32(msg[o + 2]) << 16 | UInt32(msg[o + 3]) << 24
            }
            var a = a0, b = b0, c = c0, d = d0
            for i in 0..<64 {
                var f: UInt32
                let g: Int
                switch i {
                case 0..<16: f = (b & c) | (~b & d); g = i
                case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
                case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) % 16
                default: f = c ^ (b | ~d); g = (7 * i) % 16
                }
                f = f &+ a &+ k[i] &+ m[g]
                a = d; d = c; c = b
                b = b &+ ((f << s[i]) | (f >> (32 - s[i])))
            }
            a0 &+= a; b0 &+= b; c0 &+= c; d0 &+= d
        }
        var out: [UInt8] = []
        for v in [a0, b0, c0, d0] { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
        return out
    }
}
