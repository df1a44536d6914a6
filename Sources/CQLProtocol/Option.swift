/// [option] ⇄ `DataType` (§4.2.5.2).

extension DataType {
    /// The class name v3/v4 servers use for `duration`, which only got a native id (0x0015) in v5.
    public static let durationClassName = "org.apache.cassandra.db.marshal.DurationType"

    /// Deepest type nesting accepted from the wire: a hostile `list<list<…>>` must not exhaust the stack.
    public static let maxNestingDepth = 32
}

extension CQLReader {
    public mutating func readOption() throws(CQLProtocolError) -> DataType {
        try readOption(depth: 0)
    }

    public mutating func readOptionList() throws(CQLProtocolError) -> [DataType] {
        let n = Int(try readShort())
        try requireCount(n, minSize: 2, "[option list]")
        var out: [DataType] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readOption()) }
        return out
    }

    private mutating func readOption(depth: Int) throws(CQLProtocolError) -> DataType {
        guard depth < DataType.maxNestingDepth else { throw .malformed("[option] nested too deep") }
        let id = try readShort()
        switch id {
        case 0x0000:
            let name = try readString()
            return name == DataType.durationClassName ? .duration : .custom(name)
        case 0x0001: return .ascii
        case 0x0002: return .bigint
        case 0x0003: return .blob
        case 0x0004: return .boolean
        case 0x0005: return .counter
        case 0x0006: return .decimal
        case 0x0007: return .double
        case 0x0008: return .float
        case 0x0009: return .int
        case 0x000B: return .timestamp
        case 0x000C: return .uuid
        case 0x000D: return .varchar
        case 0x000E: return .varint
        case 0x000F: return .timeuuid
        case 0x0010: return .inet
        case 0x0011: return .date
        case 0x0012: return .time
        case 0x0013: return .smallint
        case 0x0014: return .tinyint
        case 0x0015: return .duration
        case 0x0020: return .list(try readOption(depth: depth + 1))
        case 0x0021:
            let k = try readOption(depth: depth + 1)
            return .map(k, try readOption(depth: depth + 1))
        case 0x0022: return .set(try readOption(depth: depth + 1))
        case 0x0030:
            let keyspace = try readString()
            let name = try readString()
            let n = Int(try readShort())
            try requireCount(n, minSize: 4, "udt fields")
            var fields: [DataType.Field] = []
            for _ in 0..<n {
                let fieldName = try readString()
                fields.append(.init(name: fieldName, type: try readOption(depth: depth + 1)))
            }
            return .udt(.init(keyspace: keyspace, name: name, fields: fields))
        case 0x0031:
            let n = Int(try readShort())
            try requireCount(n, minSize: 2, "tuple types")
            var types: [DataType] = []
            for _ in 0..<n { types.append(try readOption(depth: depth + 1)) }
            return .tuple(types)
        default:
            throw .malformed("[option] id 0x\(String(id, radix: 16))")
        }
    }
}

extension CQLWriter {
    /// Writes `type`; before v5 `duration` goes out as the custom DurationType, as servers send it.
    public mutating func writeOption(_ type: DataType, version: ProtocolVersion = .v4) {
        switch type {
        case .custom(let name): writeShort(0x0000); writeString(name)
        case .ascii: writeShort(0x0001)
        case .bigint: writeShort(0x0002)
        case .blob: writeShort(0x0003)
        case .boolean: writeShort(0x0004)
        case .counter: writeShort(0x0005)
        case .decimal: writeShort(0x0006)
        case .double: writeShort(0x0007)
        case .float: writeShort(0x0008)
        case .int: writeShort(0x0009)
        case .timestamp: writeShort(0x000B)
        case .uuid: writeShort(0x000C)
        case .varchar: writeShort(0x000D)
        case .varint: writeShort(0x000E)
        case .timeuuid: writeShort(0x000F)
        case .inet: writeShort(0x0010)
        case .date: writeShort(0x0011)
        case .time: writeShort(0x0012)
        case .smallint: writeShort(0x0013)
        case .tinyint: writeShort(0x0014)
        case .duration:
            if version >= .v5 {
                writeShort(0x0015)
            } else {
                writeShort(0x0000); writeString(DataType.durationClassName)
            }
        case .list(let e): writeShort(0x0020); writeOption(e, version: version)
        case .map(let k, let v):
            writeShort(0x0021); writeOption(k, version: version); writeOption(v, version: version)
        case .set(let e): writeShort(0x0022); writeOption(e, version: version)
        case .udt(let u):
            writeShort(0x0030)
            writeString(u.keyspace)
            writeString(u.name)
            writeShort(UInt16(u.fields.count))
            for f in u.fields { writeString(f.name); writeOption(f.type, version: version) }
        case .tuple(let types):
            writeShort(0x0031)
            writeShort(UInt16(types.count))
            for t in types { writeOption(t, version: version) }
        }
    }

    public mutating func writeOptionList(_ types: [DataType], version: ProtocolVersion = .v4) {
        writeShort(UInt16(types.count))
        for t in types { writeOption(t, version: version) }
    }
}
