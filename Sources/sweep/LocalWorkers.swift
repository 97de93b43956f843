import Foundation
import SweepCoordinator
import SweepTrain
import SweepWorker

/// `sweep run`'s worker processes: started with the run, dead with it (each follows
/// its parent's death, `--parent-pid`), and restarted when one dies while the sweep
/// runs, at once the first time, then after a delay that doubles while it keeps dying
/// young, up to `maxQuickDeaths` in a row.
final class LocalWorkers {
    /// Deaths in a row, each within `youngSeconds` of its start, before a worker is given up.
    static let maxQuickDeaths = 5
    static let youngSeconds = 10.0
    /// Delay before the second restart in a row of a worker that dies young; doubles each time.
    static let firstBackoff = 0.5

    private struct Child {
        var process: Process?
        var startedAt: Date
        var quickDeaths = 0
        /// When a dead worker is due to start again (nil: running, or given up).
        var restartAt: Date?
        var givenUp = false
    }

    private let endpoint: String
    private let taskMemory: Double
    private var children: [Child] = []

    /// `taskMemory`: bytes each worker's task may use (`--max-task-memory`); nil shares the
    /// machine's memory among the workers.
    init(count: Int, endpoint: String, taskMemory: Double?) throws {
        self.endpoint = endpoint
        self.taskMemory = taskMemory ?? MemoryLimit.machine().bytes / Double(count)
        for _ in 0..<count { children.append(Child(process: try spawn(), startedAt: Date())) }
    }

    /// Whether any worker runs or will be restarted.
    var anyAlive: Bool { children.contains { !$0.givenUp } }

    /// Restarts workers that died (call once per coordinator round). `died(pid, how)` tells
    /// the coordinator and returns the line's middle part (which tasks went back to pending).
    func supervise(note: (String) -> Void, died: (Int32, String) throws -> String) rethrows {
        let now = Date()
        for k in children.indices {
            if let p = children[k].process, !p.isRunning {
                let how = p.terminationReason == .uncaughtSignal ? "signal \(p.terminationStatus)" : "exit status \(p.terminationStatus)"
                let tasks = try died(p.processIdentifier, "died (\(how))")
                children[k].process = nil
                let young = now.timeIntervalSince(children[k].startedAt) < Self.youngSeconds
                children[k].quickDeaths = young ? children[k].quickDeaths + 1 : 1
                if children[k].quickDeaths > Self.maxQuickDeaths {
                    children[k].givenUp = true
                    note("sweep: worker \(k + 1) died (\(how))\(tasks); it died \(children[k].quickDeaths) times in a row within \(Int(Self.youngSeconds)) s of starting: not restarting it")
                    continue
                }
                let delay = children[k].quickDeaths <= 1 ? 0 : Self.firstBackoff * pow(2, Double(children[k].quickDeaths - 2))
                children[k].restartAt = now.addingTimeInterval(delay)
                note("sweep: worker \(k + 1) died (\(how))\(tasks); " + (delay == 0 ? "restarted" : String(format: "restarting in %.1f s", delay)))
            }
            if let at = children[k].restartAt, at <= now {
                children[k].restartAt = nil
                children[k].startedAt = now
                do { children[k].process = try spawn() } catch {
                    children[k].givenUp = true
                    note("sweep: worker \(k + 1) could not be restarted: \(error)")
                }
            }
        }
    }

    /// Ends the workers: asked to stop when the sweep did not finish (they hand back their
    /// tasks), then waited for, up to 10 s, then killed.
    func end(finished: Bool) {
        let running = children.compactMap(\.process)
        if !finished { for p in running where p.isRunning { p.interrupt() } }
        let deadline = Date().addingTimeInterval(10)
        for p in running {
            while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        }
    }

    private func spawn() throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Sweep.executable)
        p.arguments = ["worker", "--connect", endpoint, "--concurrency", "1", "--exit-when-done", "--quiet", "--grace", "0",
                       "--parent-pid", String(getpid()), "--max-task-memory", String(format: "%.0f", taskMemory)]
        p.standardInput = FileHandle.nullDevice
        // SWEEP_* variables configure the command they are given to (a container's worker
        // settings, say); these children are configured by the arguments above
        p.environment = ChildEnvironment.filtered(ProcessInfo.processInfo.environment)
        try p.run()
        return p
    }
}
