import CQLProtocol

// Engine values and injected faults as CQLProtocol messages.

extension InjectedError {
    /// The ERROR message, `requestID` filling an UNPREPARED without an explicit id.
    func message(requestID: [UInt8]) -> ErrorMessage {
        let code = ErrorCode(rawValue: self.code)
        switch self {
        case .serverError(let m), .protocolError(let m), .badCredentials(let m), .overloaded(let m),
             .isBootstrapping(let m), .truncateError(let m), .syntaxError(let m), .unauthorized(let m),
             .invalid(let m), .configError(let m):
            return ErrorMessage(code: code, message: m)
        case let .unavailable(cl, required, alive):
            return ErrorMessage(code: code, message: "Cannot achieve consistency level \(cl.name)",
                                details: .unavailable(consistency: cl, required: required, alive: alive))
        case let .writeTimeout(cl, received, blockFor, writeType):
            return ErrorMessage(code: code, message: "Operation timed out - received only \(received) responses.",
                                details: .writeTimeout(consistency: cl, received: received, blockFor: blockFor,
                                                       writeType: writeType, contentions: nil))
        case let .readTimeout(cl, received, blockFor, dataPresent):
            return ErrorMessage(code: code, message: "Operation timed out - received only \(received) responses.",
                                details: .readTimeout(consistency: cl, received: received, blockFor: blockFor,
                                                      dataPresent: dataPresent))
        case let .readFailure(cl, received, blockFor, failures, dataPresent):
            return ErrorMessage(code: code, message: "Operation failed - received \(received) responses and \(failures) failures",
                                details: .readFailure(consistency: cl, received: received, blockFor: blockFor,
                                                      numFailures: failures, reasons: [], dataPresent: dataPresent))
        case let .writeFailure(cl, received, blockFor, failures, writeType):
            return ErrorMessage(code: code, message: "Operation failed - received \(received) responses and \(failures) failures",
                                details: .writeFailure(consistency: cl, received: received, blockFor: blockFor,
                                                       numFailures: failures, reasons: [], writeType: writeType))
        case let .alreadyExists(keyspace, table):
            let what = table.isEmpty ? "keyspace \(keyspace)" : "table \(keyspace).\(table)"
            return ErrorMessage(code: code, message: "Cannot add already existing \(what)",
                                details: .alreadyExists(keyspace: keyspace, table: table))
        case .unprepared(let id):
            return .unprepared(id: id ?? requestID)
        }
    }
}

extension EngineError {
    var wireError: ErrorMessage {
        switch code {
        case Self.alreadyExistsCode:
            return ErrorMessage(code: ErrorCode(rawValue: code), message: message,
                                details: .alreadyExists(keyspace: keyspace ?? "", table: table ?? ""))
        case Self.serverErrorCode, Self.syntaxErrorCode, Self.unauthorizedCode, Self.invalidCode, Self.configErrorCode:
            return ErrorMessage(code: ErrorCode(rawValue: code), message: message)
        default:
            // A code whose body has fields the engine does not give: fill them plausibly, keep its message.
            var m = InjectedError.code(code).message(requestID: [])
            m.message = message
            return m
        }
    }
}

extension SchemaChange {
    var wire: CQLProtocol.SchemaChange {
        let target: CQLProtocol.SchemaChange.Target
        switch self.target {
        case .keyspace: target = .keyspace(keyspace)
        case .table: target = .table(keyspace: keyspace, name: name ?? "")
        case .type: target = .type(keyspace: keyspace, name: name ?? "")
        }
        return CQLProtocol.SchemaChange(change: change.rawValue, target: target)
    }
}

extension ServerEvent {
    var wire: EventMessage {
        switch self {
        case .schemaChange(let change): .schemaChange(change.wire)
        case let .statusChange(up, address, port):
            .statusChange(change: up ? "UP" : "DOWN", address: CQLInet(address: ipv4Bytes(address), port: Int32(port)))
        case let .topologyChange(newNode, address, port):
            .topologyChange(change: newNode ? "NEW_NODE" : "REMOVED_NODE",
                            address: CQLInet(address: ipv4Bytes(address), port: Int32(port)))
        }
    }
}

func ipv4Bytes(_ dotted: String) -> [UInt8] {
    let parts = dotted.split(separator: ".").compactMap { UInt8($0) }
    return parts.count == 4 ? parts : [127, 0, 0, 1]
}

extension ResultColumn {
    var spec: ColumnSpec { ColumnSpec(keyspace: keyspace, table: table, name: name, type: type) }
}

/// The table all `columns` come from, when there is one: Cassandra then sends it once (global_tables_spec).
func globalTable(_ columns: [ResultColumn]) -> TableSpec? {
    guard let first = columns.first,
          columns.allSatisfy({ $0.keyspace == first.keyspace && $0.table == first.table }) else { return nil }
    return TableSpec(keyspace: first.keyspace, table: first.table)
}

extension BoundValue {
    /// The engine has no "unset": an unset value is treated as null (a gap noted in the report).
    var engineValue: [UInt8]? {
        switch self {
        case .bytes(let b): b
        case .null, .unset: nil
        }
    }
}
