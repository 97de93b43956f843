import ArgumentParser
import Foundation
import SweepConfig
import SweepCoordinator
import SweepStore
import ZeroMQ

extension Sweep {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a sweep here: a coordinator and N local worker processes over ipc://.",
            discussion: "Re-running the same command resumes: tasks that ended are not run again.")

        @Argument(help: "The sweep spec (YAML).")
        var spec: String

        @Option(help: "Local worker processes (default: one per core).")
        var workers: Int?

        @Option(help: "The SQLite store.")
        var db = "sweep.db"

        @Flag(name: .customLong("save-weights"), help: "Keep every task's trained weights (safetensors) under <db dir>/weights/<sweep>/, not only the best task's.")
        var saveWeights = false

        func validate() throws {
            if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        }

        func run() throws {
            Signals.install()
            let session = try SweepSession(specPath: spec, db: db)
            let context = try Context()
            let socketDir = NSTemporaryDirectory() + "sweep-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: socketDir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: socketDir) }
            let coordinator = try Coordinator(
                store: session.store, sweep: session.sweep,
                options: .init(bind: "ipc://\(socketDir)/coordinator", settings: .init(maxAttempts: session.spec.maxAttempts, saveWeights: saveWeights)),
                context: context, search: session.search)
            defer { coordinator.close() }

            var finished = coordinator.core.isFinished
            if finished {
                printLine("resuming: \(coordinator.core.total) of \(coordinator.core.total) task(s) already ended; nothing to run")
            } else {
                let n = workers ?? ProcessInfo.processInfo.activeProcessorCount
                let children = try (0..<n).map { _ in try spawnWorker(endpoint: coordinator.endpoint) }
                finished = try session.coordinate(coordinator, quiet: true)
                for child in children where child.isRunning {
                    if !finished { child.interrupt() }
                }
                for child in children { waitOrKill(child) }
            }
            try report(session, finished: finished, failed: coordinator.core.failedCount)
        }

        /// SWEEP_* variables the local workers still see: training settings, not options.
        static let inherited: Set<String> = ["SWEEP_DATA_DIR"]

        private func spawnWorker(endpoint: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            p.arguments = ["worker", "--connect", endpoint, "--concurrency", "1", "--exit-when-done", "--quiet", "--grace", "0"]
            p.standardInput = FileHandle.nullDevice
            // SWEEP_* variables configure the command they are given to (a container's worker
            // settings, say); these children are configured by the arguments above. Training
            // settings (SWEEP_DATA_DIR) still reach them.
            p.environment = ProcessInfo.processInfo.environment.filter {
                !$0.key.hasPrefix(Environment.prefix) || Self.inherited.contains($0.key)
            }
            try p.run()
            return p
        }

        private func waitOrKill(_ p: Process) {
            let deadline = Date().addingTimeInterval(10)
            while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        }
    }
}

/// The end of `sweep run` and `sweep coordinator`: the leaderboard, then the exit status.
func report(_ session: SweepSession, finished: Bool, failed: Int) throws {
    if !finished {
        printError("sweep: stopped; run the same command again to resume")
        throw WorkFailed(message: "")
    }
    let board = try SweepStore.Leaderboard(sweep: session.sweep, tasks: session.store.tasks(sweepID: session.sweep.id),
                                           sort: nil, groupBy: [])
    FileHandle.standardOutput.write(Data(board.render(.table, top: 10).utf8))
    let unsaved = try session.store.unsavedWeights(sweepID: session.sweep.id)
    if !unsaved.isEmpty {
        printError("sweep: warning: the weights of \(unsaved.count) task(s) were not saved; see sweep status --db \(session.store.path)")
    }
    if failed > 0 { throw WorkFailed(message: "\(failed) task(s) failed; see sweep status --db \(session.store.path)") }
}
