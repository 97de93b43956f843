import Foundation

/// A `sweep` process started in the background whose stdout and stderr go to
/// files instead of pipes: no reader threads however many processes a test
/// keeps alive (the chaos test starts dozens), the output can be read while the
/// process runs, and it stays on disk for a post-mortem.
public final class LoggedProcess: TestProcess, @unchecked Sendable {
    public let process: Process
    public let stdoutPath: String
    public let stderrPath: String

    /// Starts `executable ARGS…` (the `sweep` binary by default); output goes to
    /// `<logPrefix>.out` and `<logPrefix>.err`.
    public init(_ arguments: [String], logPrefix: String, executable: String = sweepBinary(),
                environment: [String: String] = [:]) throws {
        stdoutPath = logPrefix + ".out"
        stderrPath = logPrefix + ".err"
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit { end() }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// What the process wrote so far.
    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits up to `timeout` seconds, then kills the process and what it started (SIGKILL).
    public func wait(timeout: Double) -> CommandResult {
        if !waitUntil(timeout: timeout, poll: 0.01, { !process.isRunning }) { killTree() }
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}

/// Runs a command and waits for it: stdout is read on the calling thread,
/// stderr goes to a temporary file, so no other thread is involved.
public func runQuickCommand(_ path: String, _ arguments: [String]) throws -> CommandResult {
    let errPath = NSTemporaryDirectory() + "sweep-quick-\(UUID().uuidString).err"
    FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errPath) }
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    try? err.close()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let errText = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return CommandResult(status: p.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: errText)
}
