import ArgumentParser
import Foundation
import SweepConfig
import SweepCoordinator
import ZeroMQ

extension Sweep {
    struct CoordinatorCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "coordinator",
            abstract: "Serve a sweep's tasks to workers; exits once every task has ended.")

        @Argument(help: "The sweep spec (YAML).")
        var spec: String

        @Option(help: "ZeroMQ endpoint to bind, e.g. tcp://0.0.0.0:5555.")
        var bind: String

        @Option(help: "The SQLite store.")
        var db = "sweep.db"

        @Option(help: "Heartbeat interval in seconds.")
        var heartbeat = 1.0

        @Option(help: "Heartbeats a worker may miss before its tasks go back to the queue.")
        var liveness = 3

        func validate() throws {
            guard heartbeat > 0, heartbeat.isFinite else { throw ValidationError("--heartbeat must be > 0") }
            guard liveness >= 1 else { throw ValidationError("--liveness must be at least 1") }
        }

        func run() throws {
            Signals.install()
            let session = try SweepSession(specPath: spec, db: db)
            let context = try Context()
            let coordinator: Coordinator
            do {
                coordinator = try Coordinator(
                    store: session.store, sweep: session.sweep,
                    options: .init(bind: bind, settings: .init(heartbeatInterval: heartbeat, liveness: liveness,
                                                               maxAttempts: session.spec.maxAttempts)),
                    context: context)
            } catch let e as ZMQError {
                throw ConfigError("--bind \(bind): \(e.message)")
            }
            defer { coordinator.close() }
            printError("coordinator: sweep \(session.sweep.name): \(session.taskCount) task(s), listening on \(coordinator.endpoint)")
            let finished = try session.coordinate(coordinator, quiet: false)
            try report(session, finished: finished, failed: coordinator.core.failedCount)
        }
    }
}
