import ArgumentParser
import Foundation
import SweepConfig
import SweepCoordinator
import SweepReport
import SweepStore
import SweepTrain
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

        @Flag(name: .customLong("save-weights"), help: "Keep every task's trained weights (safetensors) under <db dir>/weights/<sweep>/, not only the best task's (method pbt: and every checkpoint).")
        var saveWeights = false

        @Option(help: "Memory each task may use, e.g. 4G or 512M; a task that needs more fails instead of waking the host's OOM killer. auto: this machine's memory (or its cgroup limit) shared by the workers.")
        var maxTaskMemory = "auto"

        @OptionGroup var http: HTTPOptions

        @OptionGroup var warmStart: WarmStartOption

        func validate() throws {
            if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
            guard maxTaskMemory == "auto" || MemoryLimit.parse(maxTaskMemory) != nil else {
                throw ValidationError("--max-task-memory must be a size such as 4G, 512M or 2000000000 (bytes), or auto, got '\(maxTaskMemory)'")
            }
        }

        func run() throws {
            Signals.install()
            let live = try http.server(fallback: "127.0.0.1:0")
            let session = try SweepSession(specPath: spec, db: db, warmStart: warmStart.path)
            let server = try HTTPOptions.start(live, store: db, sweep: session.sweep.name, label: "sweep")
            defer { server?.stop() }
            let context = try Context()
            // an abstract socket (Linux): nothing on disk that could outlive the run
            let endpoint = "ipc://@sweep-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let coordinator = try Coordinator(
                store: session.store, sweep: session.sweep,
                options: .init(bind: endpoint, settings: .init(maxAttempts: session.spec.maxAttempts, saveWeights: saveWeights,
                                                                holdersMayReturn: false)),
                context: context, search: session.search, population: session.spec.method == .pbt ? session.spec : nil)
            defer { coordinator.close() }

            var finished = coordinator.core.isFinished
            if finished {
                printLine("resuming: \(coordinator.core.total) of \(coordinator.core.total) task(s) already ended; nothing to run")
            } else {
                let n = workers ?? ProcessInfo.processInfo.activeProcessorCount
                let workers = try LocalWorkers(count: n, endpoint: coordinator.endpoint,
                                               taskMemory: MemoryLimit.parse(maxTaskMemory))
                var stranded = false
                finished = try session.coordinate(coordinator, quiet: true, everyRound: { note in
                    // once every task has ended, workers exit by themselves (--exit-when-done)
                    guard !coordinator.core.isFinished else { return true }
                    try workers.supervise(note: note) { pid, how in
                        let tasks = try coordinator.workerDied(pid: pid, reason: how)
                        return tasks.map { "; task \($0.id) " + ($0.pending ? "back to pending" : "failed") }.joined()
                    }
                    stranded = !workers.anyAlive
                    return !stranded
                })
                workers.end(finished: finished)
                if stranded { throw WorkFailed(message: "every local worker died and none is restarted any more; run the same command again to resume") }
            }
            try report(session, finished: finished, failed: coordinator.core.failedCount)
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
                                           sort: nil, groupBy: [], pareto: session.sweep.pareto)
    FileHandle.standardOutput.write(Data(board.render(.table, top: 10).utf8))
    let unsaved = try session.store.unsavedWeights(sweepID: session.sweep.id)
    if !unsaved.isEmpty {
        printError("sweep: warning: the weights of \(unsaved.count) task(s) were not saved; see sweep status --db \(session.store.path)")
    }
    if failed > 0 { throw WorkFailed(message: "\(failed) task(s) failed; see sweep status --db \(session.store.path)") }
}
