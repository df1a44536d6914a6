import CQLProtocol
import EventLoop
import Posix
import Transport

/// What every load connection sends: the statement, how it binds the key, and the key range.
struct LoadPlan: Sendable {
    let statement: String
    let prepared: Bool
    let bindsKey: Bool
    let keyCount: Int32
    let depth: Int
    /// SASL PLAIN login for servers that answer STARTUP with AUTHENTICATE.
    let credentials: Credentials?
}

/// A PasswordAuthenticator login (Astra's: user "token", the token as password).
struct Credentials: Sendable {
    let username: String
    let password: String

    /// SASL PLAIN: "\0user\0password".
    var plainToken: [UInt8] { [0] + Array(username.utf8) + [0] + Array(password.utf8) }
}

/// One client connection on one loop: STARTUP (and PREPARE), then `depth` pipelined requests, each answer
/// timed and immediately replaced by the next request on the same stream until the window closes.
final class LoadConnection: ConnectionDelegate {
    private enum State { case connecting, starting, authenticating, preparing, ready, running, finished }

    private let plan: LoadPlan
    private let onReady: (String?) -> Void
    private var state = State.connecting
    private var connection: Connection?
    private var template: RequestTemplate?
    private var schedule = Schedule(measureStart: .max, measureEnd: .max)
    private var sendTimes: [Int64]
    private var busy: [Bool]
    private var nextKey: Int32
    /// The first RESULT is decoded in full once, so an empty table or a wrong statement shows up.
    private var checkedFirstResult = false
    private(set) var stats = LoadStats()

    /// `onReady` runs once on the loop: nil when the connection is ready for `begin`, else what went wrong.
    init(plan: LoadPlan, firstKey: Int32, onReady: @escaping (String?) -> Void) {
        self.plan = plan
        self.onReady = onReady
        sendTimes = Array(repeating: 0, count: plan.depth)
        busy = Array(repeating: false, count: plan.depth)
        nextKey = firstKey % max(plan.keyCount, 1)
    }

    func connect(with dialer: Dialer, on loop: EventLoop) {
        dialer.connect(on: loop, timeout: .seconds(10)) { [self] result in
            switch result {
            case .failure(let error):
                fail("connect: \(error)")
            case .success(let connection):
                self.connection = connection
                connection.delegate = self
                state = .starting
                sendControl(.startup(["CQL_VERSION": "3.0.0"]))
            }
        }
    }

    /// Starts the pipelined load; call once `onReady` reported success.
    func begin(_ schedule: Schedule) {
        guard state == .ready else { return }
        self.schedule = schedule
        state = .running
        for stream in 0..<plan.depth { send(on: stream) }
    }

    /// Ends the run: what is still in flight is dropped, and the close is not a disconnect.
    func finish() {
        state = .finished
        connection?.close(error: nil)
        connection = nil
    }

    // MARK: ConnectionDelegate

    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        while buffer.readableCount >= FrameHeader.size {
            let readable = UnsafeRawBufferPointer(buffer.readable)
            guard case .header(let header) = FrameHeader.parse(readable) else {
                stats.note("framing lost")
                fail("framing lost")
                return
            }
            let total = FrameHeader.size + Int(header.length)
            guard readable.count >= total else { return }
            handle(header, body: UnsafeRawBufferPointer(rebasing: readable[FrameHeader.size..<total]))
            guard self.connection != nil else { return }
            buffer.consume(total)
        }
    }

    func connectionDidClose(_ connection: Connection, error: Error?) {
        self.connection = nil
        guard state != .finished else { return }
        fail("connection closed: \(error.map { "\($0)" } ?? "by peer")")
    }

    // MARK: Frames

    private func handle(_ header: FrameHeader, body: UnsafeRawBufferPointer) {
        if header.stream == StreamID.event { return }
        switch state {
        case .running: handleLoadResponse(header, body: body)
        case .starting, .authenticating, .preparing: handleControlResponse(header, body: body)
        case .connecting, .ready, .finished: stats.unexpected += 1
        }
    }

    @inline(__always)
    private func handleLoadResponse(_ header: FrameHeader, body: UnsafeRawBufferPointer) {
        let now = MonotonicClock.now()
        let stream = Int(header.stream.rawValue)
        guard stream >= 0, stream < plan.depth, busy[stream] else {
            stats.unexpected += 1
            return
        }
        busy[stream] = false
        if header.opcode == Opcode.error.rawValue {
            stats.errors += 1
            if stats.firstProblem == nil { stats.note("ERROR: \(describeError(header, body: body))") }
        } else if header.opcode != Opcode.result.rawValue {
            stats.unexpected += 1
        } else if !checkedFirstResult {
            checkedFirstResult = true
            checkFirstResult(header, body: body)
        }
        let sent = sendTimes[stream]
        if sent >= schedule.measureStart && now <= schedule.measureEnd {
            stats.completedInWindow += 1
            stats.samples.record(now - sent)
        }
        if now < schedule.measureEnd { send(on: stream) }
    }

    private func handleControlResponse(_ header: FrameHeader, body: UnsafeRawBufferPointer) {
        let message: ResponseMessage
        do {
            message = try Frame(header: header, body: Array(body)).responseMessage()
        } catch {
            fail("undecodable response: \(error)")
            return
        }
        switch (state, message) {
        case (.starting, .ready), (.authenticating, .authSuccess):
            startupDone()
        case (.starting, .authenticate(let authenticator)):
            guard let credentials = plan.credentials else {
                fail("the server wants a login (\(authenticator)): give --username/--password or --token")
                return
            }
            state = .authenticating
            sendControl(.authResponse(credentials.plainToken))
        case (.preparing, .result(.prepared(let prepared))):
            template = .execute(id: prepared.id, bindsKey: plan.bindsKey)
            becomeReady()
        case (_, .error(let e)):
            fail("server error \(e.code): \(e.message)")
        default:
            fail("unexpected answer \(message.opcode) during \(phase)")
        }
    }

    private func startupDone() {
        if plan.prepared {
            state = .preparing
            sendControl(.prepare(PrepareRequest(query: plan.statement)))
        } else {
            template = .query(plan.statement, bindsKey: plan.bindsKey)
            becomeReady()
        }
    }

    private func becomeReady() {
        state = .ready
        onReady(nil)
    }

    private var phase: String {
        switch state {
        case .starting: "STARTUP"
        case .authenticating: "AUTH_RESPONSE"
        default: "PREPARE"
        }
    }

    private func checkFirstResult(_ header: FrameHeader, body: UnsafeRawBufferPointer) {
        do {
            let message = try Frame(header: header, body: Array(body)).responseMessage()
            if case .result(.rows(let rows)) = message, rows.rows.isEmpty {
                stats.note("the statement returned no rows (was the table created with --setup?)")
            }
        } catch {
            stats.unexpected += 1
            stats.note("undecodable RESULT: \(error)")
        }
    }

    private func describeError(_ header: FrameHeader, body: UnsafeRawBufferPointer) -> String {
        guard case .error(let e)? = try? Frame(header: header, body: Array(body)).responseMessage() else {
            return "undecodable ERROR frame"
        }
        return "\(e.code): \(e.message)"
    }

    // MARK: Sending

    @inline(__always)
    private func send(on stream: Int) {
        guard let connection, template != nil else { return }
        let key = nextKey
        nextKey = nextKey + 1 == plan.keyCount ? 0 : nextKey + 1
        busy[stream] = true
        sendTimes[stream] = MonotonicClock.now()
        template!.withFrame(stream: Int16(stream), key: key) { connection.write($0) }
    }

    private func sendControl(_ request: RequestMessage) {
        connection?.write(Frame(request: request, version: .v4, stream: StreamID(0)).encode())
    }

    private func fail(_ reason: String) {
        let wasReady = state == .ready || state == .running
        state = .finished
        stats.disconnects += 1
        stats.note(reason)
        connection?.close(error: nil)
        connection = nil
        if !wasReady { onReady(reason) }
    }
}
