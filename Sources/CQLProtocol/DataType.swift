/// A CQL column type: the `[option]` of spec §4.2.5.2 (and §6 for how values of each type are encoded).
public indirect enum DataType: Hashable, Sendable {
    case custom(String)          // 0x0000, Java class name
    case ascii                   // 0x0001
    case bigint                  // 0x0002
    case blob                    // 0x0003
    case boolean                 // 0x0004
    case counter                 // 0x0005
    case decimal                 // 0x0006
    case double                  // 0x0007
    case float                   // 0x0008
    case int                     // 0x0009
    case timestamp               // 0x000B
    case uuid                    // 0x000C
    case varchar                 // 0x000D (`text` is an alias)
    case varint                  // 0x000E
    case timeuuid                // 0x000F
    case inet                    // 0x0010
    case date                    // 0x0011
    case time                    // 0x0012
    case smallint                // 0x0013
    case tinyint                 // 0x0014
    case duration                // 0x0015 (v5; sent as custom DurationType in v4)
    case list(DataType)          // 0x0020
    case map(DataType, DataType) // 0x0021
    case set(DataType)           // 0x0022
    case udt(UserType)           // 0x0030
    case tuple([DataType])       // 0x0031

    /// A user-defined type as carried in result metadata.
    public struct UserType: Hashable, Sendable {
        public var keyspace: String
        public var name: String
        public var fields: [Field]
        public init(keyspace: String, name: String, fields: [Field]) {
            self.keyspace = keyspace; self.name = name; self.fields = fields
        }
    }

    public struct Field: Hashable, Sendable {
        public var name: String
        public var type: DataType
        public init(name: String, type: DataType) { self.name = name; self.type = type }
    }
}
