import Foundation

/// A `sweep` process started in the background, with its output collected.
public final class RunningProcess: @unchecked Sendable {
    public let process: Process
    private let out = Pipe(), err = Pipe()
    private var outReader: PipeReader?, errReader: PipeReader?

    init(_ arguments: [String], environment: [String: String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: sweepBinary())
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        outReader = PipeReader(out)
        errReader = PipeReader(err)
    }

    public var pid: Int32 { process.processIdentifier }

    /// Waits up to `timeout` seconds, then kills the process (SIGKILL).
    public func wait(timeout: Double) -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus,
                             stdout: String(decoding: outReader!.wait(), as: UTF8.self),
                             stderr: String(decoding: errReader!.wait(), as: UTF8.self))
    }

    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }
}

/// Starts `sweep ARGS…` without waiting for it.
public func startSweep(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningProcess {
    try RunningProcess(arguments, environment: environment)
}
