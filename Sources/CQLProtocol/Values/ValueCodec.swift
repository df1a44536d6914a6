import Foundation

/// The value serialization of spec §6–7: a `CQLValue` ⇄ the content of a [bytes], for a given `DataType`.
///
/// Which `CQLValue` case each type takes: `.int` for tinyint/smallint/int/bigint/counter/timestamp/time (range
/// checked), `.varint` (or `.int`) for varint, `.text` for ascii/varchar, `.list` for list/set, `.tuple` for
/// tuple/udt, `.blob` or `.custom` for blob/custom. A mismatch is `.typeMismatch`, never a trap.
extension CQLValue {
    /// Nanoseconds in a day: `time` values must lie in 0..<this (§6.16).
    public static let nanosecondsPerDay: Int64 = 86_400_000_000_000

    /// The [bytes] content of `self` as `type`; `nil` for `.null`.
    public func encode(as type: DataType) throws(CQLProtocolError) -> [UInt8]? {
        if case .null = self { return nil }
        var w = CQLWriter(capacity: 16)
        try encode(as: type, into: &w)
        return w.bytes
    }

    /// Appends the content (without the [bytes] length) of a non-null value.
    public func encode(as type: DataType, into w: inout CQLWriter) throws(CQLProtocolError) {
        switch (type, self) {
        case (_, .null):
            throw .typeMismatch("null has no content; write it as a [bytes] of length -1")
        case (.ascii, .text(let s)):
            guard s.utf8.allSatisfy({ $0 < 0x80 }) else { throw .typeMismatch("ascii value has non-ASCII bytes") }
            w.writeRaw(s.utf8)
        case (.varchar, .text(let s)):
            w.writeRaw(s.utf8)
        case (.bigint, .int(let v)), (.counter, .int(let v)), (.timestamp, .int(let v)):
            w.writeLong(v)
        case (.time, .int(let v)):
            guard v >= 0 && v < Self.nanosecondsPerDay else { throw .typeMismatch("time \(v) outside one day") }
            w.writeLong(v)
        case (.int, .int(let v)):
            guard let x = Int32(exactly: v) else { throw .typeMismatch("\(v) does not fit an int") }
            w.writeInt(x)
        case (.smallint, .int(let v)):
            guard let x = Int16(exactly: v) else { throw .typeMismatch("\(v) does not fit a smallint") }
            w.writeShort(UInt16(bitPattern: x))
        case (.tinyint, .int(let v)):
            guard let x = Int8(exactly: v) else { throw .typeMismatch("\(v) does not fit a tinyint") }
            w.writeByte(UInt8(bitPattern: x))
        case (.varint, .int(let v)):
            w.writeRaw(Self.varintBytes(v))
        case (.varint, .varint(let b)):
            w.writeRaw(b)
        case (.decimal, .decimal(let scale, let unscaled)):
            w.writeInt(scale)
            w.writeRaw(unscaled)
        case (.boolean, .boolean(let b)):
            w.writeByte(b ? 1 : 0)
        case (.double, .double(let d)):
            w.writeLong(Int64(bitPattern: d.bitPattern))
        case (.float, .float(let f)):
            w.writeInt(Int32(bitPattern: f.bitPattern))
        case (.uuid, .uuid(let u)), (.timeuuid, .uuid(let u)):
            w.writeUUID(u)
        case (.inet, .inet(let a)):
            guard a.count == 4 || a.count == 16 else { throw .typeMismatch("inet of \(a.count) bytes") }
            w.writeRaw(a)
        case (.date, .date(let d)):
            w.writeInt(Int32(bitPattern: d))
        case (.duration, .duration(let months, let days, let nanos)):
            guard Self.durationSignsAgree(months, days, nanos) else {
                throw .typeMismatch("duration components must share a sign")
            }
            w.writeVInt(Int64(months))
            w.writeVInt(Int64(days))
            w.writeVInt(nanos)
        case (.blob, .blob(let b)), (.blob, .custom(let b)), (.custom, .custom(let b)), (.custom, .blob(let b)):
            w.writeRaw(b)
        case (.list(let e), .list(let items)), (.set(let e), .list(let items)):
            try Self.writeCount(items.count, into: &w)
            for item in items { try item.encodeElement(as: e, into: &w) }
        case (.map(let k, let v), .map(let pairs)):
            try Self.writeCount(pairs.count, into: &w)
            for pair in pairs {
                try pair.key.encodeElement(as: k, into: &w)
                try pair.value.encodeElement(as: v, into: &w)
            }
        case (.udt(let u), .tuple(let fields)):
            guard fields.count <= u.fields.count else {
                throw .typeMismatch("\(fields.count) values for udt \(u.name) of \(u.fields.count) fields")
            }
            for (field, value) in zip(u.fields, fields) { try value.encodeElement(as: field.type, into: &w) }
        case (.tuple(let types), .tuple(let values)):
            guard values.count <= types.count else {
                throw .typeMismatch("\(values.count) values for a tuple of \(types.count)")
            }
            // Missing trailing components are sent as null so the server sees the full arity.
            for (i, t) in types.enumerated() {
                try (i < values.count ? values[i] : .null).encodeElement(as: t, into: &w)
            }
        default:
            throw .typeMismatch("\(self) cannot be encoded as \(type)")
        }
    }

    /// A collection / tuple / udt element: a [bytes] (null as -1).
    private func encodeElement(as type: DataType, into w: inout CQLWriter) throws(CQLProtocolError) {
        if case .null = self { w.writeInt(-1); return }
        let lengthAt = w.count
        w.writeInt(0)
        try encode(as: type, into: &w)
        guard let n = Int32(exactly: w.count - lengthAt - 4) else { throw .typeMismatch("element over 2 GiB") }
        w.setInt(n, at: lengthAt)
    }

    private static func writeCount(_ n: Int, into w: inout CQLWriter) throws(CQLProtocolError) {
        guard let c = Int32(exactly: n) else { throw .typeMismatch("collection of \(n) elements") }
        w.writeInt(c)
    }

    private static func durationSignsAgree(_ m: Int32, _ d: Int32, _ n: Int64) -> Bool {
        (m >= 0 && d >= 0 && n >= 0) || (m <= 0 && d <= 0 && n <= 0)
    }

    /// Minimal two's-complement big-endian bytes of `v` (§6.23: 128 is 0x0080, -129 is 0xFF7F).
    public static func varintBytes(_ v: Int64) -> [UInt8] {
        var out: [UInt8] = []
        withUnsafeBytes(of: v.bigEndian) { out = Array($0) }
        while out.count > 1 {
            let redundant = (out[0] == 0x00 && out[1] & 0x80 == 0) || (out[0] == 0xFF && out[1] & 0x80 != 0)
            guard redundant else { break }
            out.removeFirst()
        }
        return out
    }

    /// The value of a varint if it fits an Int64.
    public static func varintValue(_ bytes: [UInt8]) -> Int64? {
        guard let first = bytes.first else { return nil }
        let negative = first & 0x80 != 0
        var significant = bytes[...]
        // A leading sign-extension byte does not count towards the 8-byte limit, as long as the byte after it
        // still carries the same sign.
        while significant.count > 8, significant[significant.startIndex] == (negative ? 0xFF : 0x00),
            (significant[significant.startIndex + 1] & 0x80 != 0) == negative
        {
            significant = significant.dropFirst()
        }
        guard significant.count <= 8 else { return nil }
        var v: Int64 = negative ? -1 : 0
        for b in significant { v = v << 8 | Int64(b) }
        return v
    }

    // MARK: Decoding

    /// Decodes the content of a [bytes] (`nil` is null) as `type`. Legacy empty values (§6: zero bytes for a
    /// non-string type) decode as `.null`, as drivers treat them.
    public static func decode(_ bytes: [UInt8]?, as type: DataType) throws(CQLProtocolError) -> CQLValue {
        guard let bytes else { return .null }
        return try CQLReader.read(bytes) { (r: inout CQLReader) throws(CQLProtocolError) in
            try decodeContent(&r, as: type)
        }
    }

    /// Same as `decode(_:as:)`: every version this module speaks (v3+) counts collection elements with [int].
    public static func decode(_ bytes: [UInt8]?, as type: DataType, version: ProtocolVersion)
        throws(CQLProtocolError) -> CQLValue
    {
        try decode(bytes, as: type)
    }

    /// Reads a whole value: the reader spans exactly the value's content.
    private static func decodeContent(_ r: inout CQLReader, as type: DataType) throws(CQLProtocolError) -> CQLValue {
        let n = r.remaining
        switch type {
        case .ascii:
            let s = try readText(&r, count: n, type)
            guard s.utf8.allSatisfy({ $0 < 0x80 }) else { throw .malformed("ascii value has non-ASCII bytes") }
            return .text(s)
        case .varchar: return .text(try readText(&r, count: n, type))
        case .blob: return .blob(r.readRemaining())
        case .custom: return .custom(r.readRemaining())
        default: break
        }
        if n == 0 {
            // A udt may omit trailing fields, all of them included; a tuple of no components is empty too.
            switch type {
            case .udt(let u): return .tuple(Array(repeating: .null, count: u.fields.count))
            case .tuple(let t) where t.isEmpty: return .tuple([])
            default: return .null
            }
        }
        let value: CQLValue
        switch type {
        case .bigint, .counter, .timestamp:
            try exact(n, 8, type); value = .int(try r.readLong())
        case .time:
            try exact(n, 8, type)
            let v = try r.readLong()
            guard v >= 0 && v < nanosecondsPerDay else { throw .malformed("time \(v) outside one day") }
            value = .int(v)
        case .int: try exact(n, 4, type); value = .int(Int64(try r.readInt()))
        case .smallint: try exact(n, 2, type); value = .int(Int64(Int16(bitPattern: try r.readShort())))
        case .tinyint: try exact(n, 1, type); value = .int(Int64(Int8(bitPattern: try r.readByte())))
        case .varint: value = .varint(r.readRemaining())
        case .decimal:
            guard n >= 4 else { throw .malformed("decimal of \(n) bytes") }
            let scale = try r.readInt()
            value = .decimal(scale: scale, unscaled: r.readRemaining())
        case .boolean: try exact(n, 1, type); value = .boolean(try r.readByte() != 0)
        case .double: try exact(n, 8, type); value = .double(Double(bitPattern: UInt64(bitPattern: try r.readLong())))
        case .float: try exact(n, 4, type); value = .float(Float(bitPattern: UInt32(bitPattern: try r.readInt())))
        case .uuid, .timeuuid: try exact(n, 16, type); value = .uuid(try r.readUUID())
        case .inet:
            guard n == 4 || n == 16 else { throw .malformed("inet of \(n) bytes") }
            value = .inet(r.readRemaining())
        case .date: try exact(n, 4, type); value = .date(UInt32(bitPattern: try r.readInt()))
        case .duration:
            guard let months = Int32(exactly: try r.readVInt()), let days = Int32(exactly: try r.readVInt()) else {
                throw .malformed("duration months or days beyond an int")
            }
            let nanos = try r.readVInt()
            guard durationSignsAgree(months, days, nanos) else { throw .malformed("duration components disagree in sign") }
            value = .duration(months: months, days: days, nanoseconds: nanos)
        case .list(let e), .set(let e):
            let count = try readCount(&r)
            var items: [CQLValue] = []
            for _ in 0..<count { items.append(try decode(try r.readBytes(), as: e)) }
            value = .list(items)
        case .map(let k, let v):
            let count = try readCount(&r)
            var pairs: [(key: CQLValue, value: CQLValue)] = []
            for _ in 0..<count {
                let key = try decode(try r.readBytes(), as: k)
                pairs.append((key, try decode(try r.readBytes(), as: v)))
            }
            value = .map(pairs)
        case .udt(let u):
            // Fewer values than fields is allowed (§7): the missing trailing fields are null.
            var fields: [CQLValue] = []
            for field in u.fields {
                fields.append(r.isAtEnd ? .null : try decode(try r.readBytes(), as: field.type))
            }
            value = .tuple(fields)
        case .tuple(let types):
            var values: [CQLValue] = []
            for t in types { values.append(try decode(try r.readBytes(), as: t)) }
            value = .tuple(values)
        case .ascii, .varchar, .blob, .custom:
            preconditionFailure("handled above")
        }
        guard r.isAtEnd else { throw .malformed("\(r.remaining) bytes after a \(type) value") }
        return value
    }

    private static func exact(_ n: Int, _ expected: Int, _ type: DataType) throws(CQLProtocolError) {
        guard n == expected else { throw .malformed("\(type) value of \(n) bytes, expected \(expected)") }
    }

    private static func readText(_ r: inout CQLReader, count: Int, _ type: DataType) throws(CQLProtocolError) -> String {
        let raw = try r.readRaw(count: count)
        guard let s = String(validating: raw, as: UTF8.self) else { throw .malformed("\(type) value is not UTF-8") }
        return s
    }

    /// An element count, bounded by the bytes left (each element is at least a 4-byte [bytes] length).
    private static func readCount(_ r: inout CQLReader) throws(CQLProtocolError) -> Int {
        let n = Int(try r.readInt())
        try r.requireCount(n, minSize: 4, "collection")
        return n
    }
}
