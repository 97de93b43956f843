import Foundation

/// The result of running a command to completion.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// The `sweep` binary built next to the running test bundle (any scratch path),
/// or $SWEEP_BIN.
public func sweepBinary() -> String {
    if let env = ProcessInfo.processInfo.environment["SWEEP_BIN"] { return env }
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var dir = here
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("sweep").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return here.appendingPathComponent("sweep").path
}

/// Runs `sweep ARGS…` and waits for it.
public func runSweep(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> CommandResult {
    try runCommand(sweepBinary(), arguments, environment: environment, directory: directory)
}

public func runCommand(_ path: String, _ arguments: [String], environment: [String: String] = [:],
                       directory: String? = nil) throws -> CommandResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    // read both pipes concurrently so a chatty child cannot block on a full pipe; on a
    // thread of its own, not Dispatch's pool, which blocked reads can exhaust on 2 cores
    let errReader = PipeReader(err)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = errReader.wait()
    p.waitUntilExit()
    return CommandResult(status: p.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// A new empty temporary directory.
public func makeTemporaryDirectory(_ prefix: String = "sweep-test") -> String {
    let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Reads a pipe to its end on a dedicated thread.
final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }.start()
    }

    /// The whole output, once the writer has closed the pipe.
    func wait() -> Data {
        done.wait()
        done.signal()
        return data
    }
}
