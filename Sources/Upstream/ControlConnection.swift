import CQLProtocol
import Dispatch
import EventLoop
import Foundation
import Posix

/// Watches the upstream cluster through one connection, as drivers do: reads system.local and system.peers,
/// registers for events, and tells the proxy about nodes, cluster facts and schema changes. Reconnects to
/// any known node (or contact point) with backoff when its connection dies. Lives on one loop.
public final class ControlConnection {
    public let loop: EventLoop
    private let config: UpstreamConfig
    private var connection: UpstreamConnection?
    private var version: ProtocolVersion
    private var hosts: [UpstreamHost] = []
    private var attempt = 0
    private var retry: TimerHandle?
    private var stopped = false
    public private(set) var clusterInfo: ClusterInfo?
    /// When the upstream became unreachable (nil while connected): readiness is derived from it.
    public private(set) var outageSince: Int64? = MonotonicClock.now()
    public private(set) var lastError: UpstreamError?

    /// Nodes (and cluster facts) changed. Called on `loop`.
    public var onTopology: (([UpstreamHost], ClusterInfo) -> Void)?
    /// A SCHEMA_CHANGE event, after the schema version was refreshed. Called on `loop`.
    public var onSchemaChange: ((SchemaChange) -> Void)?
    /// Connected or lost. Called on `loop`.
    public var onStateChange: ((Bool) -> Void)?

    public init(config: UpstreamConfig, loop: EventLoop) {
        self.config = config
        self.loop = loop
        self.version = config.protocolVersion
    }

    public var protocolVersion: ProtocolVersion { version }
    public var knownHosts: [UpstreamHost] { hosts }

    /// Starts connecting. Call on `loop`.
    public func start() {
        loop.assertInLoop()
        connectNext()
    }

    public func stop() {
        stopped = true
        if let retry { loop.cancel(retry) }
        connection?.close(.connectionClosed("proxy shutting down"))
    }

    // MARK: Connecting

    private func connectNext() {
        guard !stopped else { return }
        let known = hosts.map(\.endpoint)
        let resolver = config.resolver
        // Resolving may block (DNS, Astra's metadata service): off the loop, then back.
        let bound = LoopBound(self, loop: loop)
        DispatchQueue.global().async {
            var candidates = known
            var failure: UpstreamError?
            do {
                for endpoint in try resolver.contactPoints() where !candidates.contains(endpoint) { candidates.append(endpoint) }
            } catch let error as UpstreamError {
                failure = error
            } catch {
                failure = .resolve("\(error)")
            }
            let list = candidates
            let why = failure
            bound.loop.execute { bound.value.tryCandidates(list[...], lastFailure: why, resolveFailure: why) }
        }
    }

    /// Tries each endpoint in turn. A failure to resolve (e.g. Astra's metadata service being down) is the
    /// error reported when every endpoint also fails: it is the cause worth telling an operator.
    private func tryCandidates(_ candidates: ArraySlice<Endpoint>, lastFailure: UpstreamError?,
                               resolveFailure: UpstreamError? = nil) {
        guard !stopped else { return }
        guard let endpoint = candidates.first else {
            if lastError == nil || lastFailure != nil { lastError = lastFailure ?? .noConnectionAvailable }
            onStateChange?(false)
            scheduleReconnect()
            return
        }
        let probe = UpstreamHost(hostID: UUID(), endpoint: endpoint, dataCenter: "", rack: "", releaseVersion: "", tokens: [])
        UpstreamConnection.open(host: probe, version: version, config: config, loop: loop) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let connection):
                self.adopt(connection)
            case .failure(.unsupportedProtocolVersion(let refused, _)) where refused > ProtocolVersion.v3.rawValue:
                self.version = ProtocolVersion(rawValue: refused - 1)
                self.tryCandidates(candidates, lastFailure: nil, resolveFailure: resolveFailure)
            case .failure(let error):
                if case .authenticationFailed = error { self.lastError = error }
                if case .authenticationRequired = error { self.lastError = error }
                self.tryCandidates(candidates.dropFirst(), lastFailure: resolveFailure ?? error, resolveFailure: resolveFailure)
            }
        }
    }

    private func scheduleReconnect() {
        guard !stopped, retry == nil else { return }
        attempt += 1
        let delay = Backoff.delay(attempt: attempt, base: config.reconnectBase, max: config.reconnectMax)
        retry = loop.schedule(after: delay) { [weak self] in
            self?.retry = nil
            self?.connectNext()
        }
    }

    private func adopt(_ connection: UpstreamConnection) {
        self.connection = connection
        connection.onClose = { [weak self] _, error in
            guard let self else { return }
            self.connection = nil
            self.lastError = error
            if self.outageSince == nil { self.outageSince = MonotonicClock.now() }
            self.onStateChange?(false)
            self.scheduleReconnect()
        }
        connection.onEvent = { [weak self] event in self?.handle(event) }
        refresh(on: connection) { [weak self] ok in
            guard let self, ok else { connection.close(.unexpectedResponse("could not read system tables")); return }
            connection.sendInternal(.register(["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"])) { _ in }
            self.attempt = 0
            self.outageSince = nil
            self.lastError = nil
            self.onStateChange?(true)
        }
    }

    // MARK: System tables

    private func query(_ text: String, on connection: UpstreamConnection, _ done: @escaping (RowReader?) -> Void) {
        let request = QueryRequest(query: text, parameters: QueryParameters(consistency: .one))
        connection.sendInternal(.query(request)) { result in
            if case .success(.result(.rows(let rows))) = result { done(RowReader(rows)) } else { done(nil) }
        }
    }

    /// Reads system.local then system.peers and publishes the result.
    private func refresh(on connection: UpstreamConnection, _ done: @escaping (Bool) -> Void) {
        query("SELECT * FROM system.local WHERE key='local'", on: connection) { [weak self] local in
            guard let self, let local, local.count == 1 else { done(false); return }
            self.query("SELECT * FROM system.peers", on: connection) { [weak self] peers in
                guard let self, let peers else { done(false); return }
                self.publish(local: local, peers: peers, via: connection)
                done(true)
            }
        }
    }

    private func publish(local: RowReader, peers: RowReader, via connection: UpstreamConnection) {
        let localDC = local.string(0, "data_center") ?? "datacenter1"
        let resolver = config.resolver
        var found: [UpstreamHost] = []
        func add(row: Int, of table: RowReader, isLocal: Bool) {
            guard let id = table.uuid(row, "host_id"), let dc = table.string(row, "data_center") ?? (isLocal ? localDC : nil) else { return }
            var rpc = table.inet(row, "rpc_address") ?? table.inet(row, "peer")
            if rpc == "0.0.0.0" || rpc == "::" { rpc = table.inet(row, "peer") }
            guard let endpoint = resolver.endpoint(hostID: id, rpcAddress: rpc, dataCenter: dc, localDataCenter: localDC,
                                                   connectedVia: connection.host.endpoint, isLocal: isLocal) else { return }
            let wasDown = hosts.first { $0.hostID == id }.map { !$0.isUp } ?? false
            found.append(UpstreamHost(
                hostID: id, endpoint: endpoint, rpcAddress: table.inetBytes(row, "rpc_address"), dataCenter: dc,
                rack: table.string(row, "rack") ?? "rack1", releaseVersion: table.string(row, "release_version") ?? "",
                tokens: table.strings(row, "tokens"), isUp: isLocal || !wasDown))
        }
        add(row: 0, of: local, isLocal: true)
        for row in 0..<peers.count { add(row: row, of: peers, isLocal: false) }
        hosts = found
        let info = ClusterInfo(
            clusterName: local.string(0, "cluster_name") ?? "cluster",
            releaseVersion: local.string(0, "release_version") ?? "4.0.0",
            cqlVersion: local.string(0, "cql_version") ?? "3.4.5",
            partitioner: local.string(0, "partitioner") ?? "org.apache.cassandra.dht.Murmur3Partitioner",
            localDataCenter: localDC,
            schemaVersion: local.uuid(0, "schema_version") ?? UUID(),
            protocolVersion: version.rawValue)
        clusterInfo = info
        onTopology?(found, info)
    }

    // MARK: Events

    private func handle(_ event: EventMessage) {
        guard let connection else { return }
        switch event {
        case .schemaChange(let change):
            // Refresh first, so a client told of the change then sees the new schema_version.
            refresh(on: connection) { [weak self] _ in self?.onSchemaChange?(change) }
        case .statusChange(let change, let address):
            if let index = hosts.firstIndex(where: { $0.rpcAddress == address.address }) {
                hosts[index].isUp = change == "UP"
                if let info = clusterInfo { onTopology?(hosts, info) }
            }
        case .topologyChange:
            refresh(on: connection) { _ in }
        }
    }
}
