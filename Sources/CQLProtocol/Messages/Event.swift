/// The body of a SCHEMA_CHANGE event and of a Schema_change result (§4.2.6): <change_type><target><options>.
public struct SchemaChange: Hashable, Sendable {
    /// "CREATED", "UPDATED" or "DROPPED".
    public var change: String
    public var target: Target

    public enum Target: Hashable, Sendable {
        case keyspace(String)
        case table(keyspace: String, name: String)
        case type(keyspace: String, name: String)
        /// v4+.
        case function(keyspace: String, name: String, argTypes: [String])
        /// v4+.
        case aggregate(keyspace: String, name: String, argTypes: [String])
    }

    public init(change: String, target: Target) {
        self.change = change
        self.target = target
    }

    public func encode(into w: inout CQLWriter) {
        w.writeString(change)
        switch target {
        case .keyspace(let ks): w.writeString("KEYSPACE"); w.writeString(ks)
        case let .table(ks, name): w.writeString("TABLE"); w.writeString(ks); w.writeString(name)
        case let .type(ks, name): w.writeString("TYPE"); w.writeString(ks); w.writeString(name)
        case let .function(ks, name, args):
            w.writeString("FUNCTION"); w.writeString(ks); w.writeString(name); w.writeStringList(args)
        case let .aggregate(ks, name, args):
            w.writeString("AGGREGATE"); w.writeString(ks); w.writeString(name); w.writeStringList(args)
        }
    }

    public static func read(_ r: inout CQLReader) throws(CQLProtocolError) -> SchemaChange {
        let change = try r.readString()
        let target = try r.readString()
        let keyspace = try r.readString()
        switch target {
        case "KEYSPACE": return SchemaChange(change: change, target: .keyspace(keyspace))
        case "TABLE": return SchemaChange(change: change, target: .table(keyspace: keyspace, name: try r.readString()))
        case "TYPE": return SchemaChange(change: change, target: .type(keyspace: keyspace, name: try r.readString()))
        case "FUNCTION":
            let name = try r.readString()
            return SchemaChange(
                change: change, target: .function(keyspace: keyspace, name: name, argTypes: try r.readStringList()))
        case "AGGREGATE":
            let name = try r.readString()
            return SchemaChange(
                change: change, target: .aggregate(keyspace: keyspace, name: name, argTypes: try r.readStringList()))
        default: throw .malformed("schema change target \(target)")
        }
    }
}

/// EVENT (§4.2.6), always on stream -1.
public enum EventMessage: Hashable, Sendable {
    /// "NEW_NODE", "REMOVED_NODE" (v3 also "MOVED_NODE").
    case topologyChange(change: String, address: CQLInet)
    /// "UP" or "DOWN".
    case statusChange(change: String, address: CQLInet)
    case schemaChange(SchemaChange)

    /// The name a client REGISTERs for.
    public var type: String {
        switch self {
        case .topologyChange: "TOPOLOGY_CHANGE"
        case .statusChange: "STATUS_CHANGE"
        case .schemaChange: "SCHEMA_CHANGE"
        }
    }

    public func encode(into w: inout CQLWriter) {
        w.writeString(type)
        switch self {
        case let .topologyChange(change, address), let .statusChange(change, address):
            w.writeString(change)
            w.writeInet(address)
        case .schemaChange(let s): s.encode(into: &w)
        }
    }

    public static func read(_ r: inout CQLReader) throws(CQLProtocolError) -> EventMessage {
        let type = try r.readString()
        switch type {
        case "TOPOLOGY_CHANGE":
            let change = try r.readString()
            return .topologyChange(change: change, address: try r.readInet())
        case "STATUS_CHANGE":
            let change = try r.readString()
            return .statusChange(change: change, address: try r.readInet())
        case "SCHEMA_CHANGE": return .schemaChange(try SchemaChange.read(&r))
        default: throw .malformed("event type \(type)")
        }
    }
}
