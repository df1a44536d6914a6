import CQLProtocol

/// Per-connection protocol state, owned by the connection's thread.
struct ConnectionSession {
    enum Phase {
        /// Only OPTIONS and STARTUP are allowed (Cassandra's UNINITIALIZED).
        case awaitingStartup
        /// Only AUTH_RESPONSE is allowed.
        case authenticating
        case ready
    }
    var phase = Phase.awaitingStartup
    var keyspace: String?
    var registered: Set<String> = []
    /// The version of the last frame (pushed events use it; cached here so only a change takes the lock).
    var version = ProtocolVersion.v4
}

/// What to do with one request.
struct Reply {
    var response: ResponseMessage?
    /// Events to push once the response is written (a DDL's SCHEMA_CHANGE).
    var events: [ServerEvent] = []
    /// Event types the connection registers for (REGISTER).
    var register: Set<String> = []

    init(_ response: ResponseMessage?, events: [ServerEvent] = []) {
        self.response = response
        self.events = events
    }

    static func error(_ message: ErrorMessage) -> Reply { Reply(.error(message)) }
}

extension MockNode {
    static let supportedOptions: [String: [String]] = [
        "CQL_VERSION": ["3.4.5"], "COMPRESSION": [], "PROTOCOL_VERSIONS": ["3/v3", "4/v4"],
    ]
    static let authenticator = "org.apache.cassandra.auth.PasswordAuthenticator"
    static let eventTypes: Set<String> = ["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"]

    /// The query texts a request carries, for `FaultTrigger.queryContains` (an EXECUTE's is its prepared text).
    func queryTexts(of request: RequestMessage) -> [String] {
        switch request {
        case .query(let q): return [q.query]
        case .prepare(let p): return [p.query]
        case .execute(let e): return prepared.withLock { $0[e.id] }.map { [$0.query] } ?? []
        case .batch(let b):
            return b.statements.compactMap { s in
                switch s.kind {
                case .query(let q): q
                case .prepared(let id): prepared.withLock { $0[id]?.query }
                }
            }
        default: return []
        }
    }

    /// Answers one request as Cassandra would, updating the session.
    func reply(to request: RequestMessage, session: inout ConnectionSession) -> Reply {
        switch (session.phase, request) {
        case (_, .options) where session.phase != .authenticating:
            return Reply(.supported(Self.supportedOptions))
        case (.awaitingStartup, .startup(let options)):
            return startup(options, session: &session)
        case (.awaitingStartup, _):
            return .error(.protocolError("Unexpected message \(String(describing: request.opcode).uppercased()), expecting STARTUP or OPTIONS"))
        case (.authenticating, .authResponse(let token)):
            return authenticate(token, session: &session)
        case (.authenticating, _):
            return .error(.protocolError("Unexpected message \(String(describing: request.opcode).uppercased()), expecting SASL_RESPONSE"))
        case (.ready, .startup):
            return .error(.protocolError("Unexpected message STARTUP, the connection is already initialized"))
        case (.ready, .authResponse):
            return .error(.protocolError("Unexpected message AUTH_RESPONSE, the connection is already authenticated"))
        case (.ready, .register(let types)):
            let unknown = types.filter { !Self.eventTypes.contains($0) }
            guard unknown.isEmpty else { return .error(.protocolError("Invalid value for event type: \(unknown[0])")) }
            var r = Reply(.ready)
            r.register = Set(types)
            return r
        case (.ready, .query(let q)):
            return run(q.query, keyspace: session.keyspace, parameters: q.parameters, session: &session)
        case (.ready, .prepare(let p)):
            return prepare(p, session: session)
        case (.ready, .execute(let e)):
            guard let statement = prepared.withLock({ $0[e.id] }) else { return .error(.unprepared(id: e.id)) }
            return run(statement.query, keyspace: statement.keyspace, parameters: e.parameters,
                       resultColumns: e.parameters.skipMetadata ? statement.info.resultColumns : nil, session: &session)
        case (.ready, .batch(let b)):
            return batch(b, session: session)
        case (.ready, .options):
            return Reply(.supported(Self.supportedOptions))
        }
    }

    private func startup(_ options: [String: String], session: inout ConnectionSession) -> Reply {
        guard let version = options["CQL_VERSION"] else {
            return .error(.protocolError("Missing value CQL_VERSION in STARTUP message"))
        }
        guard version.hasPrefix("3.") else {
            return .error(.protocolError("Invalid or unsupported CQL version: \(version)"))
        }
        if let compression = options["COMPRESSION"], !compression.isEmpty {
            return .error(.protocolError("Unknown compression algorithm: \(compression)"))
        }
        if context.credentials == nil {
            session.phase = .ready
            return Reply(.ready)
        }
        session.phase = .authenticating
        return Reply(.authenticate(Self.authenticator))
    }

    /// SASL PLAIN: `[authzid] \0 user \0 password`.
    private func authenticate(_ token: [UInt8]?, session: inout ConnectionSession) -> Reply {
        guard let credentials = context.credentials else { return .error(.protocolError("Unexpected AUTH_RESPONSE")) }
        let parts = (token ?? []).split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count >= 2 else {
            return .error(ErrorMessage(code: .badCredentials, message: "Authentication failed: malformed SASL PLAIN token"))
        }
        let user = String(decoding: parts[parts.count - 2], as: UTF8.self)
        let password = String(decoding: parts[parts.count - 1], as: UTF8.self)
        guard user == credentials.user, password == credentials.password else {
            return .error(ErrorMessage(code: .badCredentials,
                                       message: "Provided username \(user) and/or password are incorrect"))
        }
        session.phase = .ready
        return Reply(.authSuccess(nil))
    }

    private func run(_ query: String, keyspace: String?, parameters p: QueryParameters,
                     resultColumns skipped: [ResultColumn]? = nil, session: inout ConnectionSession) -> Reply {
        let options = QueryOptions(values: p.values.map(\.engineValue), names: p.names, pageSize: p.pageSize,
                                   pagingState: p.pagingState.flatMap { $0.isEmpty ? nil : $0 })
        let result: EngineResult
        do { result = try context.engine.execute(query, keyspace: keyspace, options: options, node: info) } catch {
            return .error(error.wireError)
        }
        switch result {
        case .void:
            return Reply(.result(.void))
        case let .rows(columns, rows, pagingState):
            // skip_metadata: the client has the columns from PREPARE; send only their count.
            let metadata = skipped != nil
                ? RowsMetadata(noMetadataColumnCount: columns.count, pagingState: pagingState)
                : RowsMetadata(columns: columns.map(\.spec), globalTableSpec: globalTable(columns), pagingState: pagingState)
            return Reply(.result(.rows(Rows(metadata: metadata, rows: rows))))
        case .setKeyspace(let ks):
            session.keyspace = ks
            return Reply(.result(.setKeyspace(ks)))
        case .schemaChange(let change):
            return Reply(.result(.schemaChange(change.wire)), events: [.schemaChange(change)])
        }
    }

    private func prepare(_ p: PrepareRequest, session: ConnectionSession) -> Reply {
        let keyspace = p.keyspace ?? session.keyspace
        let info: PreparedInfo
        do { info = try context.engine.prepare(p.query, keyspace: keyspace, node: self.info) } catch {
            return .error(error.wireError)
        }
        prepared.withLock { $0[info.id] = PreparedStatement(query: p.query, keyspace: keyspace, info: info) }
        let metadata = PreparedMetadata(columns: info.bindColumns.map(\.spec),
                                        partitionKeyIndexes: info.partitionKeyIndexes,
                                        globalTableSpec: globalTable(info.bindColumns))
        let resultMetadata = info.resultColumns.isEmpty
            ? RowsMetadata(noMetadataColumnCount: 0)
            : RowsMetadata(columns: info.resultColumns.map(\.spec), globalTableSpec: globalTable(info.resultColumns))
        return Reply(.result(.prepared(PreparedResult(id: info.id, metadata: metadata, resultMetadata: resultMetadata))))
    }

    private func batch(_ b: BatchRequest, session: ConnectionSession) -> Reply {
        var statements: [(query: String, values: [[UInt8]?])] = []
        var preparedKeyspace: String?
        for child in b.statements {
            let values = child.values.map(\.engineValue)
            switch child.kind {
            case .query(let q):
                statements.append((q, values))
            case .prepared(let id):
                guard let statement = prepared.withLock({ $0[id] }) else { return .error(.unprepared(id: id)) }
                preparedKeyspace = preparedKeyspace ?? statement.keyspace
                statements.append((statement.query, values))
            }
        }
        // One keyspace for the whole batch: the connection's, else the one its prepared children were prepared in.
        let keyspace = b.keyspace ?? session.keyspace ?? preparedKeyspace
        do { try context.engine.executeBatch(statements, keyspace: keyspace, node: info) } catch {
            return .error(error.wireError)
        }
        return Reply(.result(.void))
    }
}
