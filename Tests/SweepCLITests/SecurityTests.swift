import Foundation
import Testing
import SweepConfig
import SweepProtocol
import TestSupport
import ZeroMQ

/// CURVE, hostile input and graceful shutdown, with the real binary and real sockets.
@Suite(.serialized) struct SecurityTests {
    static func noopSpec(_ dir: String, tasks: Int, durationMs: Int, name: String = "sec", maxAttempts: Int = 3) -> String {
        let seeds = (1...tasks).map(String.init).joined(separator: ", ")
        let path = dir + "/spec.yaml"
        try! """
            name: \(name)
            method: grid
            max_attempts: \(maxAttempts)
            parameters:
              model: {value: noop}
              duration_ms: {value: \(durationMs)}
              seed: {values: [\(seeds)]}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The rows of a query, one per line, fields joined with "|"; "" while the store has no tables.
    static func sql(_ db: String, _ query: String) -> String {
        storeRowsIfAny(db, query).map { $0.joined(separator: "|") }.joined(separator: "\n")
    }

    @Test func keygenWritesASecretOnlyTheOwnerReads() throws {
        let dir = makeTemporaryDirectory("sweep-keys")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runSweep(["keygen", "--out", dir + "/a"])
        #expect(r.status == 0, "\(r.stderr)")
        let attrs = try FileManager.default.attributesOfItem(atPath: dir + "/a.key")
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let secret = try String(contentsOfFile: dir + "/a.key", encoding: .utf8).trimmingCharacters(in: .newlines)
        let pub = try String(contentsOfFile: dir + "/a.pub", encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(try Curve.publicKey(fromSecret: secret) == pub)
        let again = try runSweep(["keygen", "--out", dir + "/a"])
        #expect(again.status == 2, "never overwrites a key")
    }

    /// Only the authorized worker gets tasks; an unknown key and a plaintext worker get nothing.
    @Test func onlyAuthorizedWorkersGetTasks() throws {
        let dir = makeTemporaryDirectory("sweep-curve")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/authorized", withIntermediateDirectories: true)
        for name in ["server", "good", "bad"] { #expect(try runSweep(["keygen", "--out", "\(dir)/\(name)"]).status == 0) }
        try FileManager.default.copyItem(atPath: dir + "/good.pub", toPath: dir + "/authorized/good.pub")
        let spec = Self.noopSpec(dir, tasks: 6, durationMs: 50)
        let db = dir + "/sweep.db"
        let processes = TestProcesses()
        defer { processes.endAll() }
        let coordinator = try processes.sweep(["coordinator", spec, "--bind", "tcp://127.0.0.1:*", "--db", db,
                                               "--curve-secret", dir + "/server.key", "--authorized-keys", dir + "/authorized"])
        let endpoint = try coordinator.listeningEndpoint()
        let intruders = try [
            processes.sweep(["worker", "--connect", endpoint, "--concurrency", "2", "--heartbeat", "0.2",
                             "--curve-server-key", dir + "/server.pub", "--curve-secret", dir + "/bad.key"]),
            processes.sweep(["worker", "--connect", endpoint, "--concurrency", "2", "--heartbeat", "0.2"]),
        ]
        // each intruder has knocked and heard nothing for a whole liveness period (it gives up
        // and reconnects), and the coordinator has turned the unknown key away
        for p in intruders {
            #expect(p.waitForLine(containing: "coordinator silent") != nil, "an intruder never gave up: \(p.stderr)")
        }
        #expect(coordinator.waitForLine(containing: "refused a worker") != nil, "\(coordinator.stderr)")
        #expect(Self.sql(db, "select count(*) from tasks where started_at is not null") == "0",
                "an unauthorized or plaintext worker got a task")
        let good = try processes.sweep(["worker", "--connect", endpoint, "--concurrency", "2", "--exit-when-done",
                                        "--curve-server-key", dir + "/server.pub", "--curve-secret", dir + "/good.key"])
        let c = coordinator.wait(timeout: 60)
        #expect(c.status == 0, "\(c.stderr)")
        #expect(good.wait(timeout: 10).status == 0)
        #expect(c.stderr.contains("refused a worker"), "\(c.stderr)")
        let workers = Self.sql(db, "select distinct worker from tasks").split(separator: "\n")
        #expect(workers.count == 1 && workers[0].contains("-\(good.pid)-"), "\(workers)")
        for p in intruders { #expect(p.isRunning, "intruders keep knocking; they learned nothing") }
    }

    @Test func publicBindWithoutKeysWarns() throws {
        let dir = makeTemporaryDirectory("sweep-warn")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = Self.noopSpec(dir, tasks: 1, durationMs: 1)
        let processes = TestProcesses()
        defer { processes.endAll() }
        let p = try processes.sweep(["coordinator", spec, "--bind", "tcp://0.0.0.0:*", "--db", dir + "/x.db"])
        _ = p.waitForLine(containing: "listening on")
        p.signal(SIGINT)
        let r = p.wait(timeout: 10)
        #expect(r.stderr.contains("warning:") && r.stderr.contains("not encrypted"), "\(r.stderr)")
    }

    /// Random and mutated frames straight at the coordinator's socket while real
    /// workers run the sweep: every message is dropped, the sweep still finishes.
    @Test
    func coordinatorSurvivesFuzzing() throws {
        let dir = makeTemporaryDirectory("sweep-fuzz")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // the fuzzer's connections say hello, take tasks with `ready` and vanish: each loss spends an
        // attempt, and the retry stack can hand one task to three of them in a row (28/30 seen with 3)
        let spec = Self.noopSpec(dir, tasks: 30, durationMs: 40, maxAttempts: 20)
        let db = dir + "/sweep.db"
        let processes = TestProcesses()
        defer { processes.endAll() }
        let coordinator = try processes.sweep(["coordinator", spec, "--bind", "tcp://127.0.0.1:*", "--db", db, "--heartbeat", "0.2"])
        let endpoint = try coordinator.listeningEndpoint()
        let workers = try (0..<2).map { _ in
            try processes.sweep(["worker", "--connect", endpoint, "--concurrency", "2", "--exit-when-done", "--heartbeat", "0.2"])
        }
        let taskIDs = Self.sql(db, "select task_id from tasks").split(separator: "\n").map(String.init)

        let context = try Context()
        var rng = SystemRandomNumberGenerator()
        var sent = 0
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        let valid: [Message] = [
            .hello(Hello(workerID: "fuzzer", host: "evil", pid: 1, cores: 1, slots: 4, holding: taskIDs.prefix(3).map { $0 })),
            .ready(credit: 4),
            .result(Outcome(taskID: taskIDs.first ?? "x", attempt: 1, status: "completed",
                            metrics: .object([("test_accuracy", .double(1))]), error: nil, wallSeconds: 0)),
            .result(Outcome(taskID: "no-such-task", attempt: 1, status: "completed", metrics: .object([]), error: nil, wallSeconds: 0)),
            .progress(TaskProgress(taskID: taskIDs.last ?? "x", attempt: 1, epoch: 1, metrics: .object([]))),
            .task(Assignment(sweep: "s", taskID: "t", attempt: 1, params: .object([]))),
            .ack(taskID: "t"), .bye, .heartbeat, .done,
        ]
        for round in 0..<12 {
            let s = try context.socket(.dealer)
            try s.connect(endpoint)
            for _ in 0..<150 {
                var frames: [[UInt8]]
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: frames = (0..<Int.random(in: 0...5, using: &rng)).map { _ in bytes(Int.random(in: 0...64, using: &rng)) }
                case 1: frames = [Array("sweep/0".utf8), Array("ready".utf8), Array(#"{"credit":1}"#.utf8)]
                case 2: frames = [Array(Wire.version.utf8), Array("result".utf8), bytes(Int.random(in: 1...300, using: &rng))]
                default:
                    frames = Codec.encode(valid.randomElement(using: &rng)!)
                    if Bool.random(using: &rng) {
                        let f = Int.random(in: 0..<frames.count, using: &rng)
                        if !frames[f].isEmpty { frames[f][Int.random(in: 0..<frames[f].count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                    }
                }
                if frames.isEmpty { frames = [[]] }
                try? s.send(frames, dontWait: true)
                sent += 1
            }
            if round % 4 == 0 {   // an oversized message (ZMQ_MAXMSGSIZE): the connection is dropped
                try? s.send([Array(Wire.version.utf8), Array("hello".utf8), [UInt8](repeating: 0x20, count: 2 << 20)], dontWait: true)
                sent += 1
            }
            Thread.sleep(forTimeInterval: 0.05)   // pacing: the 12 rounds spread over the sweep
            s.close()
        }
        let c = coordinator.wait(timeout: 90)
        for w in workers { _ = w.wait(timeout: 10) }
        #expect(c.status == 0, "\(c.stderr.suffix(2000))")
        let completed = Self.sql(db, "select count(*) from tasks where status = 'completed'")
        #expect(completed == "30")
        #expect(Self.sql(db, "select count(*) from tasks where finished_at is null") == "0",
                "unfinished: \(Self.sql(db, "select task_id, status, attempts from tasks where finished_at is null"))")
        print("fuzz: \(sent) hostile messages sent; coordinator exit \(c.status), \(completed)/30 tasks completed")
    }

    /// SIGTERM: with a grace period the running task finishes and is stored; with
    /// none it is handed back and finished elsewhere without spending an attempt.
    @Test func sigtermFinishesOrHandsBackRunningTasks() throws {
        let dir = makeTemporaryDirectory("sweep-grace")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = Self.noopSpec(dir, tasks: 4, durationMs: 1200)
        let db = dir + "/sweep.db"
        let processes = TestProcesses()
        defer { processes.endAll() }
        // heartbeat 0.5 s × liveness 3: under a loaded CI run a starved worker could look lost
        // (0.6 s of silence at 0.2 s) before its bye, and its lease expiry charges the attempt
        // this test says a hand-back does not
        let coordinator = try processes.sweep(["coordinator", spec, "--bind", "tcp://127.0.0.1:*", "--db", db, "--heartbeat", "0.5"])
        let endpoint = try coordinator.listeningEndpoint()

        func runningOn(_ p: RunningProcess) -> String? {
            waitFor(timeout: 10) {
                let id = Self.sql(db, "select task_id from tasks where status = 'running' and worker like '%-\(p.pid)-%'")
                return id.isEmpty ? nil : id
            }
        }

        let patient = try processes.sweep(["worker", "--connect", endpoint, "--concurrency", "1", "--grace", "10", "--heartbeat", "0.5"])
        let held = try #require(runningOn(patient))
        patient.signal(SIGTERM)
        let r1 = patient.wait(timeout: 15)
        #expect(r1.status == 0, "\(r1.stderr)")
        #expect(Self.sql(db, "select status, attempts from tasks where task_id = '\(held)'") == "completed|1")
        #expect(Self.sql(db, "select count(*) from tasks where status = 'completed' and worker like '%-\(patient.pid)-%'") == "1",
                "ran no new task while draining")

        let hasty = try processes.sweep(["worker", "--connect", endpoint, "--concurrency", "1", "--grace", "0", "--heartbeat", "0.5"])
        let handed = try #require(runningOn(hasty))
        hasty.signal(SIGTERM)
        #expect(hasty.wait(timeout: 10).status == 0)
        let finisher = try processes.sweep(["worker", "--connect", endpoint, "--concurrency", "2", "--exit-when-done", "--heartbeat", "0.5"])
        #expect(coordinator.wait(timeout: 60).status == 0)
        _ = finisher.wait(timeout: 10)
        #expect(Self.sql(db, "select status, attempts from tasks where task_id = '\(handed)'") == "completed|1",
                "a task handed back on shutdown does not spend an attempt")
        #expect(Self.sql(db, "select count(*) from tasks where status = 'completed'") == "4")
    }
}
