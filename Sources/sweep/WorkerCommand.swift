import ArgumentParser
import Foundation
import SweepConfig
import SweepTrain
import SweepWorker
import ZeroMQ

extension Sweep {
    struct WorkerCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "worker",
            abstract: "Connect to a coordinator and train its tasks, one per slot.")

        @Option(help: "The coordinator's endpoint, e.g. tcp://10.0.0.1:5555.")
        var connect: String

        @Option(help: "Training slots: a number, or auto (one per core this process may use: the cgroup CPU quota if set).")
        var concurrency = "auto"

        @Flag(help: "Exit when the coordinator says the sweep is over.")
        var exitWhenDone = false

        @Flag(help: "Log nothing but errors.")
        var quiet = false

        @Option(help: "Heartbeat interval in seconds.")
        var heartbeat = 1.0

        @Option(help: "Heartbeats the coordinator may miss before this worker reconnects.")
        var liveness = 3

        @Option(help: "On SIGTERM or SIGINT, seconds to let running tasks finish before handing them back.")
        var grace = 30.0

        @Option(help: "Tasks to queue beyond the slots while tasks are short (see --prefetch-below), so a free slot need not wait for the coordinator's round trip: a number, or auto (half the slots, at least 1).")
        var prefetch = "auto"

        @Option(help: "Seconds a task may take on average for tasks to be prefetched; longer ones are never queued, as a queued task can wait while other slots idle at the end of a sweep.")
        var prefetchBelow = Worker.prefetchBelow

        @Option(help: "Memory each slot's task may use, e.g. 4G or 512M; a task that needs more fails instead of waking the host's OOM killer. auto: this machine's memory (or its cgroup limit) shared by the slots.")
        var maxTaskMemory = "auto"

        @Option(help: .hidden)
        var parentPid: Int32?

        @Option(help: "The coordinator's CURVE public key file (.pub).")
        var curveServerKey: String?

        @Option(help: "This worker's CURVE secret key file (.key); its public key is derived from it.")
        var curveSecret: String?

        func validate() throws {
            if concurrency != "auto" {
                guard let n = Int(concurrency), n >= 1 else {
                    throw ValidationError("--concurrency must be a number >= 1 or auto, got '\(concurrency)'")
                }
            }
            guard heartbeat > 0, heartbeat.isFinite else { throw ValidationError("--heartbeat must be > 0") }
            guard liveness >= 1 else { throw ValidationError("--liveness must be at least 1") }
            guard grace >= 0, grace.isFinite else { throw ValidationError("--grace must be >= 0") }
            guard prefetchBelow >= 0, prefetchBelow.isFinite else { throw ValidationError("--prefetch-below must be >= 0") }
            guard prefetch == "auto" || (Int(prefetch) ?? -1) >= 0 else {
                throw ValidationError("--prefetch must be a number >= 0 or auto, got '\(prefetch)'")
            }
            guard maxTaskMemory == "auto" || MemoryLimit.parse(maxTaskMemory) != nil else {
                throw ValidationError("--max-task-memory must be a size such as 4G, 512M or 2000000000 (bytes), or auto, got '\(maxTaskMemory)'")
            }
            guard (curveServerKey == nil) == (curveSecret == nil) else {
                throw ValidationError("--curve-server-key and --curve-secret go together")
            }
        }

        func run() throws {
            Signals.install()
            // a worker of `sweep run` dies with it, however the run ends
            if let parentPid { ParentDeath.follow(parent: parentPid) }
            let slots = Int(concurrency) ?? CPUQuota.autoSlots()
            let taskMemory: MemoryLimit
            if let bytes = MemoryLimit.parse(maxTaskMemory) {
                taskMemory = MemoryLimit(bytes: bytes, source: "--max-task-memory")
            } else {
                let machine = MemoryLimit.machine()
                taskMemory = MemoryLimit(bytes: machine.bytes / Double(slots),
                                         source: "\(machine.source) shared by \(slots) slot(s); see --max-task-memory")
            }
            var curve: (serverKey: String, publicKey: String, secretKey: String)?
            if let curveServerKey, let curveSecret {
                let server = try KeyFiles.read(curveServerKey, option: "--curve-server-key")
                let secret = try KeyFiles.read(curveSecret, option: "--curve-secret")
                curve = (server, try Curve.publicKey(fromSecret: secret), secret)
            }
            let context = try Context()
            let worker: Worker
            do {
                worker = try Worker(options: .init(endpoint: connect, slots: slots, slotCommand: [Sweep.executable, "slot"],
                                                   taskMemory: taskMemory, exitWhenDone: exitWhenDone,
                                                   heartbeatInterval: heartbeat, liveness: liveness, grace: grace,
                                                   curve: curve, prefetch: Int(prefetch) ?? max(1, slots / 2),
                                                   prefetchBelow: prefetchBelow),
                                   context: context)
            } catch let e as ZMQError {
                throw ConfigError("--connect \(connect): \(e.message)")
            }
            if quiet { worker.log = { _ in } }
            defer { worker.close() }
            if !quiet { printError("worker \(worker.workerID): \(slots) slot(s), connecting to \(connect)") }
            _ = try worker.run(shouldStop: { Signals.stopRequested })
        }
    }
}
