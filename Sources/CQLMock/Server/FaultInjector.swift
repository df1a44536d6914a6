import Posix
import CQLProtocol

/// An ERROR a fault answers with, each code with the fields the spec gives it (§9).
public enum InjectedError: Sendable, Hashable {
    case serverError(String)
    case protocolError(String)
    case badCredentials(String)
    case unavailable(consistency: Consistency, required: Int32, alive: Int32)
    case overloaded(String)
    case isBootstrapping(String)
    case truncateError(String)
    case writeTimeout(consistency: Consistency, received: Int32, blockFor: Int32, writeType: String)
    case readTimeout(consistency: Consistency, received: Int32, blockFor: Int32, dataPresent: Bool)
    case readFailure(consistency: Consistency, received: Int32, blockFor: Int32, failures: Int32, dataPresent: Bool)
    case writeFailure(consistency: Consistency, received: Int32, blockFor: Int32, failures: Int32, writeType: String)
    case syntaxError(String)
    case unauthorized(String)
    case invalid(String)
    case configError(String)
    case alreadyExists(keyspace: String, table: String)
    /// With `nil`, the id of the request being answered (an EXECUTE's id; empty for other requests).
    case unprepared(id: [UInt8]?)

    /// The error for `code` with plausible fields: what a test means by "answer with 0x1200".
    public static func code(_ code: Int32, consistency: Consistency = .one) -> InjectedError {
        switch code {
        case 0x000A: .protocolError("injected protocol error")
        case 0x0100: .badCredentials("injected bad credentials")
        case 0x1000: .unavailable(consistency: consistency, required: 1, alive: 0)
        case 0x1001: .overloaded("injected: server overloaded")
        case 0x1002: .isBootstrapping("injected: node is bootstrapping")
        case 0x1003: .truncateError("injected truncate error")
        case 0x1100: .writeTimeout(consistency: consistency, received: 0, blockFor: 1, writeType: "SIMPLE")
        case 0x1200: .readTimeout(consistency: consistency, received: 0, blockFor: 1, dataPresent: false)
        case 0x1300: .readFailure(consistency: consistency, received: 0, blockFor: 1, failures: 1, dataPresent: false)
        case 0x1500: .writeFailure(consistency: consistency, received: 0, blockFor: 1, failures: 1, writeType: "SIMPLE")
        case 0x2000: .syntaxError("injected syntax error")
        case 0x2100: .unauthorized("injected: unauthorized")
        case 0x2200: .invalid("injected invalid query")
        case 0x2300: .configError("injected config error")
        case 0x2400: .alreadyExists(keyspace: "injected", table: "")
        case 0x2500: .unprepared(id: nil)
        default: .serverError("injected server error (code 0x\(String(code, radix: 16)))")
        }
    }

    public var code: Int32 {
        switch self {
        case .serverError: 0x0000
        case .protocolError: 0x000A
        case .badCredentials: 0x0100
        case .unavailable: 0x1000
        case .overloaded: 0x1001
        case .isBootstrapping: 0x1002
        case .truncateError: 0x1003
        case .writeTimeout: 0x1100
        case .readTimeout: 0x1200
        case .readFailure: 0x1300
        case .writeFailure: 0x1500
        case .syntaxError: 0x2000
        case .unauthorized: 0x2100
        case .invalid: 0x2200
        case .configError: 0x2300
        case .alreadyExists: 0x2400
        case .unprepared: 0x2500
        }
    }
}

/// What a request must match for a fault to fire.
public enum FaultTrigger: Sendable, Hashable {
    /// Every request, including OPTIONS and STARTUP.
    case anyRequest
    case opcode(Opcode)
    /// QUERY or PREPARE text, the prepared text of an EXECUTE, or any child text of a BATCH, containing this.
    case queryContains(String)
}

/// What a fired fault does to the request.
public enum FaultAction: Sendable, Hashable {
    /// Answer with this ERROR instead of handling the request.
    case error(InjectedError)
    /// Handle the request normally, but hold the response back this long (other faults still apply).
    case delay(Duration)
    /// Swallow the request: the client waits forever (its connection stays open).
    case noResponse
    /// Write half of a response header, then close: the client sees a connection cut mid-frame.
    case closeMidFrame
    /// Close the connection without answering.
    case closeConnection
}

/// How many times a fault fires before it is spent.
public enum FaultRepeat: Sendable, Hashable {
    case once
    case times(Int)
    case always

    var count: Int? {
        switch self {
        case .once: 1
        case .times(let n): n
        case .always: nil
        }
    }
}

/// Identifies an installed fault, to remove it or ask how often it fired.
public struct FaultID: Hashable, Sendable { let raw: UInt64 }

/// The faults of one cluster. Thread-safe: tests add and remove faults while node threads consult them.
///
///     cluster.faults.inject(.error(.code(0x1200)), when: .opcode(.execute), node: 1, times: .once)
///     cluster.faults.inject(.delay(.milliseconds(200)), when: .queryContains("FROM ks.t"))
///     let id = cluster.faults.silence(node: 2); ...; cluster.faults.remove(id)
public final class FaultInjector: Sendable {
    private struct Rule {
        var id: FaultID
        var trigger: FaultTrigger
        var action: FaultAction
        var node: Int?
        var remaining: Int?
        var fired = 0
    }
    private struct State {
        var nextID: UInt64 = 0
        var rules: [Rule] = []
        var fired: [FaultID: Int] = [:]   // kept after a rule is spent, for `fireCount`
    }
    private let state = Locked(State())

    init() {}

    /// Installs a fault on node `node` (1-based), or on every node when nil.
    @discardableResult
    public func inject(_ action: FaultAction, when trigger: FaultTrigger, node: Int? = nil,
                       times: FaultRepeat = .always) -> FaultID {
        state.withLock { s in
            let id = FaultID(raw: s.nextID)
            s.nextID += 1
            s.rules.append(Rule(id: id, trigger: trigger, action: action, node: node, remaining: times.count))
            s.fired[id] = 0
            return id
        }
    }

    /// A node (or every node) that accepts connections but never answers anything, not even OPTIONS.
    @discardableResult
    public func silence(node: Int?) -> FaultID { inject(.noResponse, when: .anyRequest, node: node) }

    /// A node (or every node) that cuts the connection in the middle of its answer to matching requests.
    @discardableResult
    public func cutMidFrame(node: Int?, when trigger: FaultTrigger = .anyRequest, times: FaultRepeat = .always) -> FaultID {
        inject(.closeMidFrame, when: trigger, node: node, times: times)
    }

    public func remove(_ id: FaultID) { state.withLock { s in s.rules.removeAll { $0.id == id } } }

    public func removeAll() { state.withLock { $0.rules.removeAll() } }

    /// How many times the fault fired so far.
    public func fireCount(_ id: FaultID) -> Int { state.withLock { $0.fired[id, default: 0] } }

    /// The actions for a request, in installation order, consuming one use of each matched fault. Delays all
    /// apply; the first terminal action (error, no response, close) is the only one that fires of those.
    func actions(opcode: UInt8, queries: [String], node: Int) -> [FaultAction] {
        state.withLock { s in
            var result: [FaultAction] = []
            var terminal = false
            for i in s.rules.indices {
                let rule = s.rules[i]
                guard rule.node == nil || rule.node == node, Self.matches(rule.trigger, opcode: opcode, queries: queries)
                else { continue }
                if case .delay = rule.action {} else {
                    if terminal { continue }
                    terminal = true
                }
                result.append(rule.action)
                s.rules[i].remaining = rule.remaining.map { $0 - 1 }
                s.fired[rule.id, default: 0] += 1
            }
            s.rules.removeAll { $0.remaining.map { $0 <= 0 } ?? false }
            return result
        }
    }

    private static func matches(_ trigger: FaultTrigger, opcode: UInt8, queries: [String]) -> Bool {
        switch trigger {
        case .anyRequest: true
        case .opcode(let op): op.rawValue == opcode
        case .queryContains(let needle): queries.contains { $0.contains(needle) }
        }
    }
}
