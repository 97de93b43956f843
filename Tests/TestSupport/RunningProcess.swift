import Foundation

/// A process a test started in the background: its output so far can be read
/// while it runs, and `end()` leaves nothing of it behind.
public protocol TestProcess: AnyObject, Sendable {
    var pid: Int32 { get }
    var isRunning: Bool { get }
    /// What it wrote so far.
    var stdout: String { get }
    var stderr: String { get }
    /// Waits up to `timeout` seconds for it to exit, then kills it and what it started (SIGKILL).
    func wait(timeout: Double) -> CommandResult
}

extension TestProcess {
    public func signal(_ sig: Int32) { kill(pid, sig) }

    /// Kills it (SIGKILL) with every process it started that is still its
    /// descendant (`sweep run`'s local workers), and reaps it. Does nothing to a
    /// process that has exited.
    public func end() {
        if isRunning { killTree() }
        _ = wait(timeout: 5)
    }

    /// SIGKILLs it and every process below it; waits until those below are gone (they
    /// are not our children: `wait` reaps only the process itself).
    public func killTree() {
        let below = descendants(of: pid)
        for p in [pid] + below { kill(p, SIGKILL) }
        waitUntil(timeout: 5) { below.allSatisfy { !isAlive($0) } }
    }

    /// Waits until a line of its stderr or stdout contains `text`; returns that line,
    /// or nil once it has exited without writing one, or after `timeout` seconds.
    public func waitForLine(containing text: String, timeout: Double = 15) -> String? {
        var found: String?
        waitUntil(timeout: timeout) {
            let running = isRunning
            found = (stderr + "\n" + stdout).split(separator: "\n").first { $0.contains(text) }.map(String.init)
            return found != nil || !running
        }
        return found
    }

    /// The endpoint a `sweep coordinator` bound, from its line "… listening on ENDPOINT"
    /// (with `--bind tcp://127.0.0.1:*` it names the port the system chose).
    public func listeningEndpoint(timeout: Double = 15) throws -> String {
        guard let line = waitForLine(containing: "listening on ", timeout: timeout),
              let r = line.range(of: "listening on ") else {
            throw ProcessError("no \"listening on\" line within \(timeout) s (running: \(isRunning)); stderr:\n\(stderr)")
        }
        return String(line[r.upperBound...]).trimmingCharacters(in: .whitespaces)
    }
}

/// Whether a process exists and is not a zombie.
public func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}

/// The processes under a process, read from /proc: children first, then theirs.
public func descendants(of pid: Int32) -> [Int32] {
    var found: [Int32] = []
    var frontier = [pid]
    while let p = frontier.popLast() {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(p)/task")) ?? []
        for t in tasks {
            let text = (try? String(contentsOfFile: "/proc/\(p)/task/\(t)/children", encoding: .utf8)) ?? ""
            for c in text.split(separator: " ").compactMap({ Int32($0) }) where !found.contains(c) {
                found.append(c)
                frontier.append(c)
            }
        }
    }
    return found
}

/// The command line of a process ("sweep worker --connect …").
public func commandLine(_ pid: Int32) -> String {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
    return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
}

public struct ProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A command started in the background, its stdout and stderr collected from pipes
/// on plain threads (not Dispatch's pool, which blocked reads can exhaust on 2 cores).
public final class RunningProcess: TestProcess, @unchecked Sendable {
    public let process = Process()
    private let output = Output()
    private let readersDone = DispatchGroup()

    /// What the pipes delivered so far; the reader threads hold this, not the process
    /// object, so that releasing the object ends the process (deinit).
    private final class Output: @unchecked Sendable {
        let lock = NSLock()
        var out = Data(), err = Data()
        func append(_ chunk: Data, isOut: Bool) { lock.withLock { if isOut { out.append(chunk) } else { err.append(chunk) } } }
        var text: (out: String, err: String) {
            lock.withLock { (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self)) }
        }
    }

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                directory: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for (pipe, isOut) in [(out, true), (err, false)] {
            readersDone.enter()
            let (output, done) = (output, readersDone)
            Thread.detachNewThread {
                let handle = pipe.fileHandleForReading
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    output.append(chunk, isOut: isOut)
                }
                done.leave()
            }
        }
    }

    deinit { end() }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var stdout: String { output.text.out }
    public var stderr: String { output.text.err }

    public func wait(timeout: Double) -> CommandResult {
        if !waitUntil(timeout: timeout, { !process.isRunning }) { killTree() }
        process.waitUntilExit()
        // a process it started may still hold the pipes open: then take what came so far
        _ = readersDone.wait(timeout: .now() + 5)
        let text = output.text
        return CommandResult(status: process.terminationStatus, stdout: text.out, stderr: text.err)
    }
}

/// Starts `sweep ARGS…` without waiting for it.
public func startSweep(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningProcess {
    try RunningProcess(sweepBinary(), arguments, environment: environment)
}

/// Every process a test starts, ended however the test ends:
///
///     let processes = TestProcesses()
///     defer { processes.endAll() }
///     let coordinator = try processes.sweep(["coordinator", …])
///
/// Each process also ends when it is released (deinit), as the fallback.
public final class TestProcesses: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [any TestProcess] = []

    public init() {}

    deinit { endAll() }

    /// Adds a process started elsewhere.
    @discardableResult
    public func add<P: TestProcess>(_ p: P) -> P {
        lock.withLock { all.append(p) }
        return p
    }

    /// `sweep ARGS…`, its output in pipes.
    public func sweep(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningProcess {
        add(try startSweep(arguments, environment: environment))
    }

    /// Any command, its output in pipes.
    public func start(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> RunningProcess {
        add(try RunningProcess(executable, arguments, environment: environment))
    }

    /// `sweep ARGS…` (or another executable), its output in `<logPrefix>.out` and `.err`.
    public func logged(_ arguments: [String], logPrefix: String, executable: String = sweepBinary(),
                       environment: [String: String] = [:]) throws -> LoggedProcess {
        add(try LoggedProcess(arguments, logPrefix: logPrefix, executable: executable, environment: environment))
    }

    /// Kills and reaps every process still running, with what it started.
    public func endAll() {
        let list = lock.withLock { all }
        for p in list { p.end() }
    }
}
