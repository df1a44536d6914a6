/// A replica that failed a read or write, with its reason code (v5 <reason_map>).
public struct FailureReason: Hashable, Sendable {
    public var endpoint: [UInt8]
    public var code: UInt16
    public init(endpoint: [UInt8], code: UInt16) {
        self.endpoint = endpoint
        self.code = code
    }
}

/// The code-specific fields that follow <code><message> (§9).
public enum ErrorDetails: Hashable, Sendable {
    case none
    case unavailable(consistency: Consistency, required: Int32, alive: Int32)
    /// `contentions` is v5 only, present when `writeType` is "CAS".
    case writeTimeout(
        consistency: Consistency, received: Int32, blockFor: Int32, writeType: String, contentions: UInt16?)
    case readTimeout(consistency: Consistency, received: Int32, blockFor: Int32, dataPresent: Bool)
    /// `reasons` is the v5 reason map (then `numFailures == reasons.count`); v3/v4 carry only the count.
    case readFailure(
        consistency: Consistency, received: Int32, blockFor: Int32, numFailures: Int32, reasons: [FailureReason],
        dataPresent: Bool)
    case writeFailure(
        consistency: Consistency, received: Int32, blockFor: Int32, numFailures: Int32, reasons: [FailureReason],
        writeType: String)
    case functionFailure(keyspace: String, function: String, argTypes: [String])
    /// `table` is empty when a keyspace already exists.
    case alreadyExists(keyspace: String, table: String)
    case unprepared(id: [UInt8])
    /// v5.
    case casWriteUnknown(consistency: Consistency, received: Int32, blockFor: Int32)
}

/// ERROR (§4.2.1).
public struct ErrorMessage: Hashable, Sendable, Error {
    public var code: ErrorCode
    public var message: String
    public var details: ErrorDetails

    public init(code: ErrorCode, message: String, details: ErrorDetails = .none) {
        self.code = code
        self.message = message
        self.details = details
    }

    public static func protocolError(_ message: String) -> ErrorMessage { .init(code: .protocolError, message: message) }
    public static func serverError(_ message: String) -> ErrorMessage { .init(code: .serverError, message: message) }
    public static func unprepared(id: [UInt8], message: String = "Prepared query not found") -> ErrorMessage {
        .init(code: .unprepared, message: message, details: .unprepared(id: id))
    }

    public func encode(into w: inout CQLWriter, version: ProtocolVersion) {
        w.writeInt(code.rawValue)
        w.writeString(message)
        switch details {
        case .none: break
        case let .unavailable(cl, required, alive):
            w.writeConsistency(cl); w.writeInt(required); w.writeInt(alive)
        case let .writeTimeout(cl, received, blockFor, writeType, contentions):
            w.writeConsistency(cl); w.writeInt(received); w.writeInt(blockFor); w.writeString(writeType)
            if version >= .v5, writeType == "CAS" { w.writeShort(contentions ?? 0) }
        case let .readTimeout(cl, received, blockFor, dataPresent):
            w.writeConsistency(cl); w.writeInt(received); w.writeInt(blockFor); w.writeByte(dataPresent ? 1 : 0)
        case let .readFailure(cl, received, blockFor, numFailures, reasons, dataPresent):
            w.writeConsistency(cl); w.writeInt(received); w.writeInt(blockFor)
            Self.writeFailures(&w, numFailures, reasons, version)
            w.writeByte(dataPresent ? 1 : 0)
        case let .writeFailure(cl, received, blockFor, numFailures, reasons, writeType):
            w.writeConsistency(cl); w.writeInt(received); w.writeInt(blockFor)
            Self.writeFailures(&w, numFailures, reasons, version)
            w.writeString(writeType)
        case let .functionFailure(keyspace, function, argTypes):
            w.writeString(keyspace); w.writeString(function); w.writeStringList(argTypes)
        case let .alreadyExists(keyspace, table):
            w.writeString(keyspace); w.writeString(table)
        case let .unprepared(id):
            w.writeShortBytes(id)
        case let .casWriteUnknown(cl, received, blockFor):
            w.writeConsistency(cl); w.writeInt(received); w.writeInt(blockFor)
        }
    }

    private static func writeFailures(
        _ w: inout CQLWriter, _ count: Int32, _ reasons: [FailureReason], _ version: ProtocolVersion
    ) {
        guard version >= .v5 else { w.writeInt(count); return }
        w.writeInt(Int32(reasons.count))
        for r in reasons { w.writeInetAddr(r.endpoint); w.writeShort(r.code) }
    }

    private static func readFailures(_ r: inout CQLReader, _ version: ProtocolVersion) throws(CQLProtocolError)
        -> (Int32, [FailureReason])
    {
        let n = try r.readInt()
        guard version >= .v5 else { return (n, []) }
        try r.requireCount(Int(n), minSize: 7, "failure reasons")
        var reasons: [FailureReason] = []
        for _ in 0..<n {
            let endpoint = try r.readInetAddr()
            reasons.append(FailureReason(endpoint: endpoint, code: try r.readShort()))
        }
        return (n, reasons)
    }

    public static func read(_ r: inout CQLReader, version: ProtocolVersion) throws(CQLProtocolError) -> ErrorMessage {
        let code = ErrorCode(rawValue: try r.readInt())
        var e = ErrorMessage(code: code, message: try r.readString())
        switch code {
        case .unavailable:
            e.details = .unavailable(consistency: try r.readConsistency(), required: try r.readInt(), alive: try r.readInt())
        case .writeTimeout:
            let cl = try r.readConsistency(), received = try r.readInt(), blockFor = try r.readInt()
            let writeType = try r.readString()
            let contentions = version >= .v5 && writeType == "CAS" ? try r.readShort() : nil
            e.details = .writeTimeout(
                consistency: cl, received: received, blockFor: blockFor, writeType: writeType, contentions: contentions)
        case .readTimeout:
            let cl = try r.readConsistency(), received = try r.readInt(), blockFor = try r.readInt()
            e.details = .readTimeout(consistency: cl, received: received, blockFor: blockFor, dataPresent: try r.readByte() != 0)
        case .readFailure:
            let cl = try r.readConsistency(), received = try r.readInt(), blockFor = try r.readInt()
            let (n, reasons) = try readFailures(&r, version)
            e.details = .readFailure(
                consistency: cl, received: received, blockFor: blockFor, numFailures: n, reasons: reasons,
                dataPresent: try r.readByte() != 0)
        case .writeFailure:
            let cl = try r.readConsistency(), received = try r.readInt(), blockFor = try r.readInt()
            let (n, reasons) = try readFailures(&r, version)
            e.details = .writeFailure(
                consistency: cl, received: received, blockFor: blockFor, numFailures: n, reasons: reasons,
                writeType: try r.readString())
        case .functionFailure:
            let keyspace = try r.readString(), function = try r.readString()
            e.details = .functionFailure(keyspace: keyspace, function: function, argTypes: try r.readStringList())
        case .alreadyExists:
            let keyspace = try r.readString()
            e.details = .alreadyExists(keyspace: keyspace, table: try r.readString())
        case .unprepared:
            e.details = .unprepared(id: try r.readShortBytes())
        case .casWriteUnknown where version >= .v5:
            let cl = try r.readConsistency(), received = try r.readInt()
            e.details = .casWriteUnknown(consistency: cl, received: received, blockFor: try r.readInt())
        default:
            break
        }
        return e
    }
}
