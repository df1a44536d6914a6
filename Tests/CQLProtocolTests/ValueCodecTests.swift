import Foundation
import Testing
@testable import CQLProtocol

@Suite struct ValueCodecTests {
    func roundTrip(_ v: CQLValue, _ type: DataType, bytes expected: [UInt8]? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = try v.encode(as: type)
        if let expected { #expect(bytes.map(hexString) == hexString(expected), sourceLocation: sourceLocation) }
        #expect(try CQLValue.decode(bytes, as: type) == v, sourceLocation: sourceLocation)
        #expect(try CQLValue.decode(bytes, as: type, version: .v4) == v, sourceLocation: sourceLocation)
    }

    @Test func integers() throws {
        try roundTrip(.int(Int64.min), .bigint, bytes: hex("80 00 00 00 00 00 00 00"))
        try roundTrip(.int(Int64.max), .bigint)
        try roundTrip(.int(-1), .counter, bytes: hex("ff ff ff ff ff ff ff ff"))
        try roundTrip(.int(1_700_000_000_000), .timestamp)
        try roundTrip(.int(Int64(Int32.min)), .int, bytes: hex("80 00 00 00"))
        try roundTrip(.int(-2), .smallint, bytes: hex("ff fe"))
        try roundTrip(.int(-128), .tinyint, bytes: hex("80"))
        try roundTrip(.int(0), .time)
        try roundTrip(.int(CQLValue.nanosecondsPerDay - 1), .time)
    }

    @Test func integerRangesAreChecked() {
        #expect(throws: CQLProtocolError.self) { try CQLValue.int(128).encode(as: .tinyint) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.int(40_000).encode(as: .smallint) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.int(1 << 31).encode(as: .int) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.int(-1).encode(as: .time) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.decode(hex("ff ff ff ff ff ff ff ff"), as: .time) }
    }

    @Test func varintFollowsTheSpecTable() throws {
        let table: [(Int64, String)] = [
            (0, "00"), (1, "01"), (127, "7f"), (128, "00 80"), (129, "00 81"), (-1, "ff"), (-128, "80"),
            (-129, "ff 7f"),
        ]
        for (v, h) in table {
            #expect(CQLValue.varintBytes(v) == hex(h), "\(v)")
            #expect(CQLValue.varintValue(hex(h)) == v)
            #expect(try CQLValue.int(v).encode(as: .varint) == hex(h))
            try roundTrip(.varint(hex(h)), .varint)
        }
        #expect(CQLValue.varintBytes(.min) == hex("80 00 00 00 00 00 00 00"))
        #expect(CQLValue.varintValue(CQLValue.varintBytes(.min)) == .min)
        #expect(CQLValue.varintValue(hex("00 ff ff ff ff ff ff ff ff")) == nil)
        #expect(CQLValue.varintValue(hex("ff ff 80 00 00 00 00 00 00 00")) == .min)
        // Beyond Int64: kept as bytes.
        try roundTrip(.varint(hex("ff 00 00 00 00 00 00 00 00 01")), .varint)
    }

    @Test func decimal() throws {
        // -12.345 = -12345 × 10^-3.
        try roundTrip(.decimal(scale: 3, unscaled: CQLValue.varintBytes(-12_345)), .decimal, bytes: hex("00 00 00 03 cf c7"))
        try roundTrip(.decimal(scale: -2, unscaled: [0x01]), .decimal)
        #expect(throws: CQLProtocolError.self) { try CQLValue.decode(hex("00 00 01"), as: .decimal) }
    }

    @Test func floatingPoint() throws {
        try roundTrip(.double(-0.0), .double, bytes: hex("80 00 00 00 00 00 00 00"))
        try roundTrip(.double(.nan), .double)
        try roundTrip(.double(.greatestFiniteMagnitude), .double)
        try roundTrip(.float(1.5), .float, bytes: hex("3f c0 00 00"))
        try roundTrip(.float(-.infinity), .float)
    }

    @Test func textAndBytes() throws {
        try roundTrip(.text(""), .varchar, bytes: [])
        try roundTrip(.text(""), .ascii, bytes: [])
        try roundTrip(.text("日本"), .varchar)
        try roundTrip(.text("plain"), .ascii)
        try roundTrip(.blob([]), .blob, bytes: [])
        try roundTrip(.blob([0, 255]), .blob)
        try roundTrip(.custom([1, 2, 3]), .custom("x.Y"))
        #expect(throws: CQLProtocolError.self) { try CQLValue.text("é").encode(as: .ascii) }
        #expect(throws: CQLProtocolError.malformed("ascii value has non-ASCII bytes")) {
            try CQLValue.decode(hex("c3 a9"), as: .ascii)
        }
        #expect(throws: CQLProtocolError.malformed("varchar value is not UTF-8")) {
            try CQLValue.decode(hex("ff"), as: .varchar)
        }
    }

    @Test func fixedWidthScalars() throws {
        try roundTrip(.boolean(true), .boolean, bytes: [1])
        try roundTrip(.boolean(false), .boolean, bytes: [0])
        #expect(try CQLValue.decode([7], as: .boolean) == .boolean(true))
        let u = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!
        try roundTrip(.uuid(u), .uuid)
        try roundTrip(.uuid(u), .timeuuid)
        try roundTrip(.inet([127, 0, 0, 1]), .inet, bytes: hex("7f 00 00 01"))
        try roundTrip(.inet([UInt8](repeating: 0xFE, count: 16)), .inet)
        try roundTrip(.date(1 << 31), .date, bytes: hex("80 00 00 00"))
        try roundTrip(.date(0), .date)
        #expect(throws: CQLProtocolError.self) { try CQLValue.decode([1, 2, 3], as: .int) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.decode([1, 2, 3], as: .inet) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.decode([UInt8](repeating: 0, count: 15), as: .uuid) }
    }

    @Test func emptyAndNull() throws {
        #expect(try CQLValue.null.encode(as: .int) == nil)
        #expect(try CQLValue.decode(nil, as: .list(.int)) == .null)
        // Legacy empty values of non-string types decode as null.
        #expect(try CQLValue.decode([], as: .int) == .null)
        #expect(try CQLValue.decode([], as: .uuid) == .null)
    }

    @Test func duration() throws {
        try roundTrip(.duration(months: 1, days: 2, nanoseconds: 3), .duration, bytes: hex("02 04 06"))
        try roundTrip(.duration(months: -1, days: 0, nanoseconds: -1_000_000_000), .duration)
        try roundTrip(.duration(months: .max, days: .max, nanoseconds: .max), .duration)
        try roundTrip(.duration(months: .min, days: .min, nanoseconds: .min), .duration)
    }

    @Test func durationSignsMustAgree() {
        #expect(throws: CQLProtocolError.self) { try CQLValue.duration(months: 1, days: -1, nanoseconds: 0).encode(as: .duration) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.decode(hex("02 03 00"), as: .duration) }
        // months beyond an [int]: vint of 2^32.
        let tooBig = written { $0.writeVInt(1 << 32); $0.writeVInt(0); $0.writeVInt(0) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.decode(tooBig, as: .duration) }
    }

    @Test func collections() throws {
        try roundTrip(.list([]), .list(.int), bytes: hex("00 00 00 00"))
        try roundTrip(.list([.int(1), .int(2)]), .list(.int), bytes: hex("00 00 00 02  00 00 00 04 00 00 00 01  00 00 00 04 00 00 00 02"))
        try roundTrip(.list([.text("a"), .text("")]), .set(.varchar))
        try roundTrip(.map([]), .map(.varchar, .int))
        try roundTrip(.map([(.text("k"), .list([.int(-1)])), (.text("j"), .list([]))]), .map(.varchar, .list(.bigint)))
        try roundTrip(.list([.list([.list([.int(7)])]), .list([])]), .list(.list(.list(.tinyint))))
        try roundTrip(.list([.null]), .list(.int), bytes: hex("00 00 00 01 ff ff ff ff"))
        try roundTrip(.map([(.int(1), .map([(.text("x"), .null)]))]), .map(.int, .map(.ascii, .boolean)))
        #expect(throws: CQLProtocolError.self) { try CQLValue.decode(hex("00 00 00 02 00 00 00 00"), as: .list(.int)) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.decode(hex("00 00 00 00 00"), as: .list(.int)) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.decode(hex("7f ff ff ff"), as: .map(.int, .int)) }
    }

    static let address = DataType.udt(.init(keyspace: "ks", name: "address", fields: [
        .init(name: "street", type: .varchar), .init(name: "number", type: .int), .init(name: "tags", type: .set(.varchar)),
    ]))

    @Test func udtAndTuple() throws {
        try roundTrip(.tuple([.text("Main"), .null, .list([.text("home")])]), Self.address)
        try roundTrip(.tuple([.null, .null, .null]), Self.address)
        // Fewer fields on the wire than the type has: the missing trailing ones are null.
        let short = hex("00 00 00 02 41 42")
        #expect(try CQLValue.decode(short, as: Self.address) == .tuple([.text("AB"), .null, .null]))
        #expect(try CQLValue.tuple([.text("AB")]).encode(as: Self.address) == short)
        try roundTrip(.tuple([.int(1), .null, .tuple([.text("in")])]), .tuple([.int, .varchar, .tuple([.ascii])]))
        try roundTrip(.tuple([]), .tuple([]), bytes: [])
        #expect(try CQLValue.tuple([.int(1)]).encode(as: .tuple([.int, .int])) == hex("00 00 00 04 00 00 00 01 ff ff ff ff"))
        #expect(throws: CQLProtocolError.self) { try CQLValue.tuple([.int(1), .int(2)]).encode(as: .tuple([.int])) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.decode(hex("00 00 00 04 00 00 00 01"), as: .tuple([.int, .int])) }
    }

    @Test func mismatchesAreErrors() {
        #expect(throws: CQLProtocolError.self) { try CQLValue.text("1").encode(as: .int) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.int(1).encode(as: .varchar) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.list([.text("x")]).encode(as: .list(.int)) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.inet([1, 2, 3]).encode(as: .inet) }
        #expect(throws: CQLProtocolError.self) { try CQLValue.tuple([]).encode(as: .list(.int)) }
    }
}
