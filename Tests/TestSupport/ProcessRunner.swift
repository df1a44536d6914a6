import Foundation
import Glibc

/// What a finished child process left behind.
public typealias ProcessOutput = (exitCode: Int32, stdout: String, stderr: String)

/// A child process outlived its timeout and was killed; carries what it had printed by then.
public struct ProcessTimedOut: Error, CustomStringConvertible {
    public var command: [String]
    public var timeout: Duration
    public var stdout: String
    public var stderr: String
    public var description: String {
        "timed out after \(timeout): \(command.joined(separator: " "))\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
    }
}

/// The package root, found from this file's path (Tests/TestSupport/ProcessRunner.swift).
public let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Runs `executable arguments` with a hard timeout: on expiry the child gets SIGKILL and `ProcessTimedOut` is
/// thrown. Output goes to temporary files rather than pipes, so a chatty child can never block on a full pipe.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                       currentDirectory: URL? = nil, timeout: Duration) async throws -> ProcessOutput {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = outHandle
    process.standardError = errHandle

    let (exited, exitedContinuation) = AsyncStream<Void>.makeStream()
    process.terminationHandler = { _ in exitedContinuation.yield(); exitedContinuation.finish() }
    try process.run()
    try? outHandle.close()
    try? errHandle.close()
    let pid = process.processIdentifier

    let timedOut = await withTaskGroup(of: Bool.self) { group in
        group.addTask { for await _ in exited { return false }; return false }
        group.addTask {
            do { try await Task.sleep(for: timeout) } catch { return false }   // cancelled: the child exited
            return true
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
    if timedOut {
        kill(pid, SIGKILL)
        process.waitUntilExit()
    } else {
        process.waitUntilExit()   // returns at once: termination was reported; makes terminationStatus valid
    }
    let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    if timedOut {
        throw ProcessTimedOut(command: [executable] + arguments, timeout: timeout, stdout: stdout, stderr: stderr)
    }
    return (process.terminationStatus, stdout, stderr)
}

/// The Python interpreter: `$CQL_E2E_PYTHON`, else the first `python3` on PATH (resolved once, so pyenv shims
/// are not re-run for every script).
public let pythonExecutable: String = {
    let env = ProcessInfo.processInfo.environment
    if let explicit = env["CQL_E2E_PYTHON"], !explicit.isEmpty { return explicit }
    for dir in (env["PATH"] ?? "/usr/local/bin:/usr/bin").split(separator: ":") {
        let candidate = "\(dir)/python3"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return "/usr/bin/python3"
}()

/// Runs a Python script of this package. `script` is relative to the package root (e.g. "Tests/e2e/scenario.py")
/// or absolute. The script's directory is the working directory, so it imports its sibling modules.
public func runPython(script: String, arguments: [String], timeout: Duration,
                      environment: [String: String] = [:]) async throws -> ProcessOutput {
    let url = script.hasPrefix("/") ? URL(fileURLWithPath: script) : packageRoot.appendingPathComponent(script)
    var env = environment
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = env["PYTHONIOENCODING"] ?? "utf-8"
    return try await runProcess(pythonExecutable, [url.path] + arguments, environment: env,
                                currentDirectory: url.deletingLastPathComponent(), timeout: timeout)
}

/// Runs `cqlsh host port arguments...` (cqlsh 6.2.2 from PyPI, as `python3 -m cqlshlib`, which needs no entry
/// point on PATH). HOME is a fresh temporary directory so no user cqlshrc or history interferes.
public func runCqlsh(host: String, port: Int, arguments: [String], timeout: Duration,
                     username: String? = nil, password: String? = nil) async throws -> ProcessOutput {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("cqlsh-home-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: home) }
    var args = ["-m", "cqlshlib", host, String(port), "--connect-timeout", "10", "--request-timeout", "10"]
    if let username { args += ["-u", username, "-p", password ?? ""] }
    args += arguments
    let env = ["HOME": home.path, "CQLSH_NO_BUNDLED": "1", "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8"]
    return try await runProcess(pythonExecutable, args, environment: env, currentDirectory: home, timeout: timeout)
}
