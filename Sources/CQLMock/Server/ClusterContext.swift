/// What every node of one cluster shares: the engine (schema and data), credentials, faults, the event hub and
/// the change signal tests wait on.
final class ClusterContext: Sendable {
    let engine: Engine
    let credentials: MockCredentials?
    let faults: FaultInjector
    let hub: EventHub
    let changes: ChangeSignal
    /// Frames announcing a longer body are malformed: the connection is closed.
    let maxFrameBodyLength: Int

    init(engine: Engine, credentials: MockCredentials?, maxFrameBodyLength: Int) {
        self.engine = engine
        self.credentials = credentials
        self.faults = FaultInjector()
        self.hub = EventHub()
        self.changes = ChangeSignal()
        self.maxFrameBodyLength = maxFrameBodyLength
    }
}

/// The login a cluster with PasswordAuthenticator accepts.
public struct MockCredentials: Sendable, Hashable {
    public var user: String
    public var password: String
    public init(user: String, password: String) { self.user = user; self.password = password }
}
