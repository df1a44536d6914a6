import Posix
import Foundation
import Glibc

/// A long-running child (e.g. the `cql-mock` executable) whose stdout is read line by line while it runs.
/// Always `stop` it (or let it be deinitialized, which kills it).
public final class BackgroundProcess: Sendable {
    private struct Output {
        var stdout = ""
        var finished = false
    }
    private final class Shared: Sendable { let output = Locked(Output()) }
    private let process: Process
    private let shared = Shared()
    private let wakeup = Wakeup()

    /// With `captureStandardError`, stderr is read into `stdout` too (for programs that log there).
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                captureStandardError: Bool = false) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        if captureStandardError { process.standardError = pipe }
        let shared = self.shared, wakeup = self.wakeup
        process.terminationHandler = { _ in wakeup.bump() }
        try process.run()
        // A plain thread doing blocking reads, not `readabilityHandler`: Foundation's dispatch source for that
        // can outlive the file handle on Linux and crash libdispatch's event loop when the fd number is reused.
        let reader = Thread {
            let fd = pipe.fileHandleForReading.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                shared.output.withLock { $0.stdout += text }
                wakeup.bump()
            }
            shared.output.withLock { $0.finished = true }
            wakeup.bump()
            withExtendedLifetime(pipe) {}
        }
        reader.start()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    public var stdout: String { shared.output.withLock { $0.stdout } }

    /// Waits until stdout has a line containing `fragment`, and returns that line.
    @discardableResult
    public func waitForLine(containing fragment: String, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = wakeup.generation
            let (text, finished) = shared.output.withLock { ($0.stdout, $0.finished) }
            if let line = text.split(separator: "\n").first(where: { $0.contains(fragment) }) { return String(line) }
            if finished || ContinuousClock.now >= deadline {
                throw EventuallyTimedOut(what: "a line with \"\(fragment)\" from \(process.executableURL?.path ?? "?"); got: \(text)",
                                         timeout: timeout)
            }
            await wakeup.waitForChange(after: seen, deadline: deadline)
        }
    }

    /// Waits until stdout has a line equal to `line`; throws `EventuallyTimedOut` at the deadline.
    public func waitForLine(_ line: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = wakeup.generation
            let (text, finished) = shared.output.withLock { ($0.stdout, $0.finished) }
            if text.split(separator: "\n").contains(where: { $0 == line }) { return }
            if finished || ContinuousClock.now >= deadline {
                throw EventuallyTimedOut(what: "line \"\(line)\" from \(process.executableURL?.path ?? "?"); got: \(text)",
                                         timeout: timeout)
            }
            await wakeup.waitForChange(after: seen, deadline: deadline)
        }
    }

    /// Sends `signal` and waits for the exit; SIGKILL and `ProcessTimedOut` if it does not come in time.
    public func stop(signal: Int32 = SIGINT, timeout: Duration) async throws -> Int32 {
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = wakeup.generation
            guard process.isRunning else { break }
            if ContinuousClock.now >= deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw ProcessTimedOut(command: [process.executableURL?.path ?? "?"], timeout: timeout, stdout: stdout, stderr: "")
            }
            // Woken by output or termination; re-checked at least every 50 ms in case Foundation flips `isRunning`
            // only after calling the termination handler.
            await wakeup.waitForChange(after: seen, deadline: min(deadline, .now + .milliseconds(50)))
        }
        // The reader thread may still hold the last bytes the child wrote: wait for its end of file.
        let drained = ContinuousClock.now + .seconds(5)
        while !shared.output.withLock({ $0.finished }) && ContinuousClock.now < drained {
            let seen = wakeup.generation
            await wakeup.waitForChange(after: seen, deadline: min(drained, .now + .milliseconds(50)))
        }
        return process.terminationStatus
    }
}

/// An executable product built next to the test bundle (e.g. "cql-mock").
/// `CQL_PROXY_BINARY` (set by scripts/test.sh to the stripped release build the image ships) overrides
/// the debug `cql-proxy`, so the tests exercise what runs in production.
public func builtProduct(_ name: String) -> String {
    if name == "cql-proxy", let release = ProcessInfo.processInfo.environment["CQL_PROXY_BINARY"], !release.isEmpty {
        return release
    }
    return Bundle.main.bundleURL.appendingPathComponent(name).path
}
