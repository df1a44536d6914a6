import CQLProtocol

/// The value codec: a type taken from the first input bytes, the rest decoded as a value of it. A leading
/// 0xFF reads the type as a wire [option] (the parser RESULT metadata uses, nesting limit included);
/// anything else goes through `FuzzTypeReader`, a compact form that reaches deep collections, udts and
/// tuples in a few bytes. Whatever decodes must encode back and decode to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func valueFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ValueFuzz.run(fuzzInput(data, size))
    return 0
}

enum ValueFuzz {
    static func run(_ input: [UInt8]) {
        guard let (type, value) = split(input) else { return }
        _ = try? CQLValue.decode(nil, as: type)
        for version in [ProtocolVersion.v3, .v4, .v5] {
            guard let decoded = try? CQLValue.decode(value, as: type, version: version) else { continue }
            let encoded = Result { () throws(CQLProtocolError) in try decoded.encode(as: type) }
            guard case .success(let bytes) = encoded else {
                fuzzRequire(false, "\(decoded) decoded as \(type) does not encode: \(encoded)")
                return
            }
            let again = Result { () throws(CQLProtocolError) in try CQLValue.decode(bytes, as: type) }
            fuzzRequire(again == .success(decoded), "\(type): \(decoded) re-decodes as \(again)")
        }
    }

    static func split(_ input: [UInt8]) -> (DataType, [UInt8])? {
        guard let first = input.first else { return nil }
        if first == 0xFF {
            return Array(input.dropFirst()).withUnsafeBytes { raw -> (DataType, [UInt8])? in
                var r = CQLReader(raw)
                guard let type = try? r.readOption() else { return nil }
                return (type, r.readRemaining())
            }
        }
        var t = FuzzTypeReader(bytes: input[...])
        let type = t.read(depth: 0)
        return (type, Array(t.bytes))
    }
}

/// One byte picks a type (modulo the 26 kinds); collections, udts and tuples read their element types
/// from the bytes that follow, down to `maxDepth` where only scalars remain.
struct FuzzTypeReader {
    var bytes: ArraySlice<UInt8>
    static let maxDepth = 6
    static let scalars: [DataType] = [
        .ascii, .bigint, .blob, .boolean, .counter, .decimal, .double, .float, .int, .timestamp, .uuid, .varchar,
        .varint, .timeuuid, .inet, .date, .time, .smallint, .tinyint, .duration, .custom("org.example.Custom"),
    ]

    mutating func next() -> Int { Int(bytes.popFirst() ?? 0) }

    mutating func read(depth: Int) -> DataType {
        let k = next() % (depth < Self.maxDepth ? Self.scalars.count + 5 : Self.scalars.count)
        switch k - Self.scalars.count {
        case 0: return .list(read(depth: depth + 1))
        case 1: return .set(read(depth: depth + 1))
        case 2:
            let key = read(depth: depth + 1)
            return .map(key, read(depth: depth + 1))
        case 3:
            let n = next() % 5
            let fields = (0..<n).map { DataType.Field(name: "f\($0)", type: read(depth: depth + 1)) }
            return .udt(.init(keyspace: "ks", name: "u", fields: fields))
        case 4:
            let n = next() % 5
            return .tuple((0..<n).map { _ in read(depth: depth + 1) })
        default:
            return Self.scalars[k]
        }
    }
}
