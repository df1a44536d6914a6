import Posix

/// An EVENT the cluster pushes to connections that REGISTERed its type (§4.2.6).
enum ServerEvent: Sendable, Hashable {
    case schemaChange(SchemaChange)
    case statusChange(up: Bool, address: String, port: Int)
    case topologyChange(newNode: Bool, address: String, port: Int)

    /// The REGISTER name of the event type.
    var typeName: String {
        switch self {
        case .schemaChange: "SCHEMA_CHANGE"
        case .statusChange: "STATUS_CHANGE"
        case .topologyChange: "TOPOLOGY_CHANGE"
        }
    }
}

/// Where events go: every connection that REGISTERed, with the node it belongs to. Connections subscribe on
/// REGISTER and unsubscribe when they close.
final class EventHub: Sendable {
    private struct Subscriber {
        var node: Int
        var types: Set<String>
        var connection: NodeConnection
    }
    private let subscribers = Locked<[ObjectIdentifier: Subscriber]>([:])

    func subscribe(_ connection: NodeConnection, node: Int, types: Set<String>) {
        subscribers.withLock { s in
            let key = ObjectIdentifier(connection)
            var entry = s[key] ?? Subscriber(node: node, types: [], connection: connection)
            entry.types.formUnion(types)
            s[key] = entry
        }
    }

    func unsubscribe(_ connection: NodeConnection) {
        _ = subscribers.withLock { $0.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    /// Pushes `event` to the subscribers of its type, except those on `excludingNode` (a node's own clients are
    /// not told that it went down). Writes happen outside the registry lock.
    func publish(_ event: ServerEvent, excludingNode: Int? = nil) {
        let targets = subscribers.withLock { s in
            s.values.filter { $0.types.contains(event.typeName) && $0.node != excludingNode }.map(\.connection)
        }
        for connection in targets { connection.push(event) }
    }

    /// How many connections listen for `type` (tests wait for drivers to have registered).
    func subscriberCount(type: String) -> Int {
        subscribers.withLock { $0.values.filter { $0.types.contains(type) }.count }
    }
}
