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

        @Option(help: "CURVE secret key file (from sweep keygen): encrypt and authenticate.")
        var curveSecret: String?

        @Option(help: "Directory of authorized worker public keys (*.pub).")
        var authorizedKeys: String?

        @Flag(name: .customLong("save-weights"), help: "Keep every task's trained weights (safetensors) under <db dir>/weights/<sweep>/, not only the best task's (method pbt: and every checkpoint).")
        var saveWeights = false

        @OptionGroup var http: HTTPOptions

        @OptionGroup var warmStart: WarmStartOption

        func validate() throws {
            guard heartbeat > 0, heartbeat.isFinite else { throw ValidationError("--heartbeat must be > 0") }
            guard liveness >= 1 else { throw ValidationError("--liveness must be at least 1") }
            guard (curveSecret == nil) == (authorizedKeys == nil) else {
                throw ValidationError("--curve-secret and --authorized-keys go together")
            }
        }

        func run() throws {
            Signals.install()
            let secret = try curveSecret.map { try KeyFiles.read($0, option: "--curve-secret") }
            let authorized = try authorizedKeys.map { try KeyFiles.authorized(in: $0) }
            if secret == nil && KeyFiles.isPublic(bind) {
                printError("coordinator: warning: \(bind) is reachable from other machines and traffic is not encrypted; " +
                           "use --curve-secret and --authorized-keys (sweep keygen)")
            }
            let live = try http.server(fallback: nil)
            let session = try SweepSession(specPath: spec, db: db, warmStart: warmStart.path)
            let server = try HTTPOptions.start(live, store: db, sweep: session.sweep.name, label: "coordinator")
            defer { server?.stop() }
            let context = try Context()
            // ZAP: only workers whose public key is authorized get through the CURVE handshake
            let zap = try authorized.map { keys in
                try ZAPHandler(context: context, authorizedKeys: keys) { d in
                    if !d.accepted { printError("coordinator: refused a worker from \(d.address) (\(d.publicKey.map { "unknown key \($0)" } ?? "no CURVE key"))") }
                }
            }
            defer { zap?.stop() }
            let coordinator: Coordinator
            do {
                coordinator = try Coordinator(
                    store: session.store, sweep: session.sweep,
                    options: .init(bind: bind, settings: .init(heartbeatInterval: heartbeat, liveness: liveness,
                                                               maxAttempts: session.spec.maxAttempts, saveWeights: saveWeights),
                                    curveSecret: secret),
                    context: context, search: session.search, population: session.spec.method == .pbt ? session.spec : nil)
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
