import Foundation
import Testing
@testable import CQLProtocol

/// Every §3 notation: exact bytes where the spec fixes them, a round trip, and truncation as an error.
@Suite struct NotationTests {
    /// Writes with `write`, checks the bytes if given, reads back with `read`, and checks that every strict
    /// prefix of the encoding fails as truncated (or malformed) rather than trapping.
    func check<T: Equatable>(
        _ value: T, bytes expected: [UInt8]? = nil, write: (inout CQLWriter, T) -> Void,
        read: (inout CQLReader) throws(CQLProtocolError) -> T,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let bytes = written { write(&$0, value) }
        if let expected { #expect(hexString(bytes) == hexString(expected), sourceLocation: sourceLocation) }
        #expect(try readAll(bytes, read) == value, sourceLocation: sourceLocation)
        for n in 0..<bytes.count {
            #expect(throws: CQLProtocolError.self, sourceLocation: sourceLocation) {
                try readAll(Array(bytes.prefix(n)), read)
            }
        }
    }

    @Test func fixedSizeIntegers() throws {
        try check(UInt8(0xAB), bytes: [0xAB], write: { $0.writeByte($1) }, read: { r throws(CQLProtocolError) in try r.readByte() })
        try check(UInt16(0xFFFE), bytes: hex("ff fe"), write: { $0.writeShort($1) }, read: { r throws(CQLProtocolError) in try r.readShort() })
        for v: Int32 in [0, -1, .min, .max, 0x0102_0304] {
            try check(v, write: { $0.writeInt($1) }, read: { r throws(CQLProtocolError) in try r.readInt() })
        }
        try check(Int32(-2), bytes: hex("ff ff ff fe"), write: { $0.writeInt($1) }, read: { r throws(CQLProtocolError) in try r.readInt() })
        for v: Int64 in [0, -1, .min, .max] {
            try check(v, write: { $0.writeLong($1) }, read: { r throws(CQLProtocolError) in try r.readLong() })
        }
        try check(Int64.min, bytes: hex("80 00 00 00 00 00 00 00"), write: { $0.writeLong($1) }, read: { r throws(CQLProtocolError) in try r.readLong() })
    }

    @Test func strings() throws {
        try check("", bytes: hex("00 00"), write: { $0.writeString($1) }, read: { r throws(CQLProtocolError) in try r.readString() })
        try check("héllo ✓", write: { $0.writeString($1) }, read: { r throws(CQLProtocolError) in try r.readString() })
        try check("", bytes: hex("00 00 00 00"), write: { $0.writeLongString($1) }, read: { r throws(CQLProtocolError) in try r.readLongString() })
        try check("SELECT 1", write: { $0.writeLongString($1) }, read: { r throws(CQLProtocolError) in try r.readLongString() })
        try check([String](), bytes: hex("00 00"), write: { $0.writeStringList($1) }, read: { r throws(CQLProtocolError) in try r.readStringList() })
        try check(["a", "", "ü"], write: { $0.writeStringList($1) }, read: { r throws(CQLProtocolError) in try r.readStringList() })
    }

    @Test func invalidUTF8IsMalformed() {
        #expect(throws: CQLProtocolError.malformed("[string] is not UTF-8")) {
            try readAll(hex("00 02 c3 28")) { r throws(CQLProtocolError) in try r.readString() }
        }
        #expect(throws: CQLProtocolError.malformed("[long string] length -1")) {
            try readAll(hex("ff ff ff ff")) { r throws(CQLProtocolError) in try r.readLongString() }
        }
    }

    @Test func overlongStringIsCutAtACharacterBoundary() throws {
        let s = String(repeating: "é", count: 40_000)   // 80 000 UTF-8 bytes
        let bytes = written { $0.writeString(s) }
        let back = try readAll(bytes) { r throws(CQLProtocolError) in try r.readString() }
        #expect(back.utf8.count == 65_534)
        #expect(back.allSatisfy { $0 == "é" })
    }

    @Test func uuid() throws {
        let u = UUID(uuidString: "00112233-4455-6677-8899-AABBCCDDEEFF")!
        try check(u, bytes: hex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"), write: { $0.writeUUID($1) }, read: { r throws(CQLProtocolError) in try r.readUUID() })
    }

    @Test func bytesAndValues() throws {
        try check([UInt8]?.none, bytes: hex("ff ff ff ff"), write: { $0.writeBytes($1) }, read: { r throws(CQLProtocolError) in try r.readBytes() })
        try check([UInt8]?.some([]), bytes: hex("00 00 00 00"), write: { $0.writeBytes($1) }, read: { r throws(CQLProtocolError) in try r.readBytes() })
        try check([UInt8]?.some([1, 2]), bytes: hex("00 00 00 02 01 02"), write: { $0.writeBytes($1) }, read: { r throws(CQLProtocolError) in try r.readBytes() })
        try check(BoundValue.null, bytes: hex("ff ff ff ff"), write: { $0.writeValue($1) }, read: { r throws(CQLProtocolError) in try r.readValue() })
        try check(BoundValue.unset, bytes: hex("ff ff ff fe"), write: { $0.writeValue($1) }, read: { r throws(CQLProtocolError) in try r.readValue() })
        try check(BoundValue.bytes([9]), bytes: hex("00 00 00 01 09"), write: { $0.writeValue($1) }, read: { r throws(CQLProtocolError) in try r.readValue() })
        #expect(throws: CQLProtocolError.malformed("[value] length -3")) {
            try readAll(hex("ff ff ff fd")) { r throws(CQLProtocolError) in try r.readValue() }
        }
        // Any negative [bytes] length is null.
        #expect(try readAll(hex("80 00 00 00")) { r throws(CQLProtocolError) in try r.readBytes() } == nil)
        try check([UInt8](), bytes: hex("00 00"), write: { $0.writeShortBytes($1) }, read: { r throws(CQLProtocolError) in try r.readShortBytes() })
        try check([UInt8](repeating: 7, count: 300), write: { $0.writeShortBytes($1) }, read: { r throws(CQLProtocolError) in try r.readShortBytes() })
    }

    @Test func unsignedVInt() throws {
        // The spec's example: 256 000 is [110]00011 11101000 00000000.
        try check(UInt64(256_000), bytes: hex("c3 e8 00"), write: { $0.writeUnsignedVInt($1) }, read: { r throws(CQLProtocolError) in try r.readUnsignedVInt() })
        try check(UInt64(0), bytes: [0], write: { $0.writeUnsignedVInt($1) }, read: { r throws(CQLProtocolError) in try r.readUnsignedVInt() })
        try check(UInt64(127), bytes: [0x7F], write: { $0.writeUnsignedVInt($1) }, read: { r throws(CQLProtocolError) in try r.readUnsignedVInt() })
        try check(UInt64(128), bytes: hex("80 80"), write: { $0.writeUnsignedVInt($1) }, read: { r throws(CQLProtocolError) in try r.readUnsignedVInt() })
        try check(UInt64.max, bytes: hex("ff ff ff ff ff ff ff ff ff"), write: { $0.writeUnsignedVInt($1) }, read: { r throws(CQLProtocolError) in try r.readUnsignedVInt() })
        for shift in 0..<64 {
            for v in [UInt64(1) << shift, (UInt64(1) << shift) &- 1, (UInt64(1) << shift) | 1] {
                try check(v, write: { $0.writeUnsignedVInt($1) }, read: { r throws(CQLProtocolError) in try r.readUnsignedVInt() })
            }
        }
    }

    @Test func vintIsZigZag() throws {
        for (v, byte): (Int64, UInt8) in [(0, 0), (-1, 1), (1, 2), (-2, 3), (2, 4), (-3, 5), (3, 6)] {
            try check(v, bytes: [byte], write: { $0.writeVInt($1) }, read: { r throws(CQLProtocolError) in try r.readVInt() })
        }
        for v: Int64 in [.min, .max, .min + 1, -256_000, 1 << 40] {
            try check(v, write: { $0.writeVInt($1) }, read: { r throws(CQLProtocolError) in try r.readVInt() })
        }
    }

    static let allTypes: [DataType] = [
        .custom("com.example.Foo"), .ascii, .bigint, .blob, .boolean, .counter, .decimal, .double, .float, .int,
        .timestamp, .uuid, .varchar, .varint, .timeuuid, .inet, .date, .time, .smallint, .tinyint, .duration,
        .list(.int), .map(.varchar, .list(.uuid)), .set(.tinyint), .tuple([]), .tuple([.int, .set(.varchar)]),
        .udt(.init(keyspace: "ks", name: "address", fields: [
            .init(name: "street", type: .varchar), .init(name: "zips", type: .list(.int)),
            .init(name: "inner", type: .udt(.init(keyspace: "ks", name: "empty", fields: []))),
        ])),
    ]

    @Test(arguments: allTypes)
    func option(type: DataType) throws {
        for version in [ProtocolVersion.v3, .v4, .v5] {
            try check(type, write: { $0.writeOption($1, version: version) }, read: { r throws(CQLProtocolError) in try r.readOption() })
        }
    }

    @Test func optionBytes() throws {
        try check(DataType.map(.varchar, .int), bytes: hex("00 21 00 0d 00 09"), write: { $0.writeOption($1) }, read: { r throws(CQLProtocolError) in try r.readOption() })
        // duration has a native id only from v5; v4 servers describe it as a custom type.
        #expect(written { $0.writeOption(.duration, version: .v5) } == hex("00 15"))
        #expect(written { $0.writeOption(.duration, version: .v4) } == written { $0.writeShort(0); $0.writeString(DataType.durationClassName) })
        #expect(throws: CQLProtocolError.malformed("[option] id 0xa")) {
            try readAll(hex("00 0a")) { r throws(CQLProtocolError) in try r.readOption() }
        }
    }

    @Test func deeplyNestedOptionIsRefused() {
        var bytes: [UInt8] = []
        for _ in 0..<10_000 { bytes += [0x00, 0x20] }
        bytes += [0x00, 0x09]
        #expect(throws: CQLProtocolError.malformed("[option] nested too deep")) {
            try readAll(bytes) { r throws(CQLProtocolError) in try r.readOption() }
        }
    }

    @Test func optionList() throws {
        try check(NotationTests.allTypes, write: { $0.writeOptionList($1) }, read: { r throws(CQLProtocolError) in try r.readOptionList() })
    }

    @Test func inet() throws {
        try check(CQLInet(address: [10, 0, 0, 1], port: 9042), bytes: hex("04 0a 00 00 01 00 00 23 52"), write: { $0.writeInet($1) }, read: { r throws(CQLProtocolError) in try r.readInet() })
        let v6 = CQLInet(address: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1], port: 19042)
        try check(v6, write: { $0.writeInet($1) }, read: { r throws(CQLProtocolError) in try r.readInet() })
        #expect(v6.description == "[2001:db8:0:0:0:0:0:1]:19042")
        try check([UInt8]([192, 168, 1, 2]), bytes: hex("04 c0 a8 01 02"), write: { $0.writeInetAddr($1) }, read: { r throws(CQLProtocolError) in try r.readInetAddr() })
        #expect(throws: CQLProtocolError.malformed("[inetaddr] size 5")) {
            try readAll(hex("05 01 02 03 04 05")) { r throws(CQLProtocolError) in try r.readInetAddr() }
        }
    }

    @Test func consistency() throws {
        try check(Consistency.localQuorum, bytes: hex("00 06"), write: { $0.writeConsistency($1) }, read: { r throws(CQLProtocolError) in try r.readConsistency() })
        let all: [Consistency] = [.any, .one, .two, .three, .quorum, .all, .localQuorum, .eachQuorum, .serial, .localSerial, .localOne]
        for (i, c) in all.enumerated() {
            #expect(c.rawValue == UInt16(i))
            #expect(Consistency(name: c.name) == c)
        }
        #expect(Consistency(name: "local_quorum") == .localQuorum)
        #expect(Consistency.localOne.name == "LOCAL_ONE")
        #expect(Consistency(name: "MOST") == nil)
        #expect(Consistency(rawValue: 0x20).name == "UNKNOWN(0x20)")
    }

    @Test func maps() throws {
        try check([String: String](), bytes: hex("00 00"), write: { $0.writeStringMap($1) }, read: { r throws(CQLProtocolError) in try r.readStringMap() })
        try check(["b": "2", "a": "1"], bytes: hex("00 02 00 01 61 00 01 31 00 01 62 00 01 32"), write: { $0.writeStringMap($1) }, read: { r throws(CQLProtocolError) in try r.readStringMap() })
        try check(["COMPRESSION": [], "CQL_VERSION": ["3.0.0", "3.4.5"]], write: { $0.writeStringMultimap($1) }, read: { r throws(CQLProtocolError) in try r.readStringMultimap() })
        try check(["k": [1, 2], "n": nil, "e": []] as [String: [UInt8]?], write: { $0.writeBytesMap($1) }, read: { r throws(CQLProtocolError) in try r.readBytesMap() })
        // A repeated key does not trap: the last one wins.
        #expect(try readAll(hex("00 02 00 01 61 00 01 31 00 01 61 00 01 32")) { r throws(CQLProtocolError) in try r.readStringMap() } == ["a": "2"])
    }

    @Test func hugeCountsFailFast() {
        #expect(throws: CQLProtocolError.truncated("[string list]: 65535 elements")) {
            try readAll(hex("ff ff 00 00")) { r throws(CQLProtocolError) in try r.readStringList() }
        }
    }
}
