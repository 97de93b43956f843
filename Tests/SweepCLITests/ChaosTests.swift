import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The chaos test of issue 5 (docs/runtime.md): a coordinator and 4 workers as real
/// `sweep` processes over TCP; workers are SIGKILLed at random moments and
/// replaced, and the coordinator is SIGKILLed once and started again with the
/// same command. Afterwards every task is in the store exactly once, completed,
/// and the leaderboard equals that of an undisturbed run of the same grid.
///
/// The schedule comes from a seeded RNG; the seed is printed, and
/// `SWEEP_CHAOS_SEED=N` replays the same schedule (timing still varies).
@Suite(.serialized) struct ChaosTests {
    static let gridSize = 120
    static let maxAttempts = 3
    // A kill costs an attempt only to the task its worker had begun, not to the one prefetched
    // behind it (AttemptChargingTests), so workers prefetch as by default. The schedule never
    // kills a worker holding a task with one attempt left, and a coordinator restart charges
    // nothing (its running tasks wait a lease for their holders): a task that still fails on
    // max_attempts was charged for something else, and the test prints what happened to it.
    static let spec = """
        name: chaos-grid
        method: grid
        metric: {name: test_accuracy, goal: maximize}
        max_attempts: \(maxAttempts)
        parameters:
          model: {value: noop}
          duration_ms: {value: 200}
          seed: {values: [\((1...gridSize).map(String.init).joined(separator: ", "))]}
        """
    static let heartbeat = ["--heartbeat", "0.2", "--liveness", "3"]
    static let chaosTimeout = 75.0

    @Test func killedWorkersAndARestartedCoordinatorLoseNothingAndRunNothingTwice() throws {
        let dir = makeTemporaryDirectory("sweep-chaos")
        let keep = ProcessInfo.processInfo.environment["SWEEP_CHAOS_KEEP"] != nil
        defer { if keep { print("chaos: logs and stores kept in \(dir)") } else { try? FileManager.default.removeItem(atPath: dir) } }
        let specPath = dir + "/spec.yaml"
        try Self.spec.write(toFile: specPath, atomically: true, encoding: .utf8)
        let cleanDB = dir + "/clean.db", chaosDB = dir + "/chaos.db"

        let seed = ProcessInfo.processInfo.environment["SWEEP_CHAOS_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 1...999_999)
        print("chaos: seed \(seed) (replay the schedule with SWEEP_CHAOS_SEED=\(seed))")
        var rng = SplitMix64(seed: seed)

        // 1. the undisturbed run
        let clean = try runQuickCommand(sweepBinary(), ["run", specPath, "--workers", "4", "--db", cleanDB])
        #expect(clean.status == 0, "undisturbed run: \(clean.stderr)")
        let cleanBoard = try Self.leaderboard(cleanDB)
        #expect(cleanBoard.count == Self.gridSize)

        // 2. the chaos run
        let processes = TestProcesses()
        defer { processes.endAll() }
        let (endpoint, firstCoordinator) = try Self.startCoordinator(specPath, chaosDB, logs: dir, processes)
        let coordinatorArgs = Self.coordinatorArguments(specPath, chaosDB, endpoint)
        // the default prefetch (auto: one task queued behind the slot), for these 200 ms tasks too
        let workerArgs = ["worker", "--connect", endpoint, "--concurrency", "1", "--exit-when-done",
                          "--prefetch-below", "1", "--grace", "1", "--quiet"] + Self.heartbeat
        var workersStarted = 0
        func startWorker() throws -> LoggedProcess {
            workersStarted += 1
            return try processes.logged(workerArgs, logPrefix: dir + "/worker-\(workersStarted)")
        }

        var coordinator = firstCoordinator
        var coordinatorOutputs: [CommandResult] = []
        var workers = try (0..<4).map { _ in try startWorker() }

        let coordinatorKillAt = Int.random(in: Self.gridSize * 3 / 10...Self.gridSize * 6 / 10, using: &rng)
        var coordinatorGeneration = 0
        var coordinatorDownMs = 0
        var workersKilled = 0
        var nextWorkerKill = Date().addingTimeInterval(Double.random(in: 0.3...0.9, using: &rng))
        // a killed worker's task → when it was killed; resolved once another worker starts it
        struct Handoff { let taskID: String; let tag: String; let handedOutAt: Double; let killedAt: Date; let generation: Int }
        var pendingHandoffs: [Handoff] = []
        var handoffMs: [Int] = []
        var handoffsUnmeasured = 0
        // the worker each task was first seen completed by: a finished task must never change
        var completedBy: [String: String] = [:]
        var changedAfterCompletion: [String] = []
        var maxAttemptsSeen = 0
        var killsSpared = 0
        // what happened to each task, as the store showed it and as the schedule did it
        var history: [String: [String]] = [:]
        var lastState: [String: String] = [:]

        let start = Date()
        func note(_ taskID: String, _ event: String) {
            history[taskID, default: []].append(String(format: "%6.2f s ", Date().timeIntervalSince(start)) + event)
        }
        var timedOut = false
        while true {
            if !coordinator.process.isRunning { break }
            if Date().timeIntervalSince(start) > Self.chaosTimeout { timedOut = true; break }
            let rows = Self.taskRows(chaosDB)
            let byID = Dictionary(rows.map { ($0.taskID, $0) }, uniquingKeysWith: { a, _ in a })
            let completed = rows.filter { $0.status == "completed" }.count
            for r in rows {
                let state = "\(r.status), attempts \(r.attempts)" + (r.worker.isEmpty ? "" : ", worker \(Self.pid(of: r.worker))")
                if lastState[r.taskID] != state { note(r.taskID, state) }
                lastState[r.taskID] = state
                maxAttemptsSeen = max(maxAttemptsSeen, r.attempts)
                guard r.status == "completed" else {
                    if completedBy[r.taskID] != nil { changedAfterCompletion.append(r.taskID) }
                    continue
                }
                if let w = completedBy[r.taskID] {
                    if w != r.worker { changedAfterCompletion.append(r.taskID) }
                } else {
                    completedBy[r.taskID] = r.worker
                }
            }

            // death → handed out again: the task is running (or done) on another worker
            pendingHandoffs.removeAll { h in
                if h.generation != coordinatorGeneration { handoffsUnmeasured += 1; return true }
                guard let r = byID[h.taskID] else { return false }
                if r.worker.contains(h.tag) {
                    // the victim's result got in before it died: nothing was handed out
                    if r.status == "completed" { handoffsUnmeasured += 1; return true }
                    return false
                }
                if r.worker.isEmpty { return false }   // back in the queue, not yet handed out
                // every hand-out sets started_at; another worker's name without a new one means the
                // task was finished by an earlier holder's result, not handed out again
                guard r.startedAt > h.handedOutAt else { handoffsUnmeasured += 1; return true }
                handoffMs.append(Int(Date().timeIntervalSince(h.killedAt) * 1000))
                return true
            }

            // SIGKILL a random worker and start a replacement
            var k = -1
            if Date() >= nextWorkerKill && completed < Self.gridSize - 8 {
                // a random worker; every other time the one that started its task last, whose
                // task is least likely to end before the kill (so its hand-off can be timed)
                k = Int.random(in: 0..<workers.count, using: &rng)
                if workersKilled % 2 == 1 {
                    let freshest = rows.filter { $0.status == "running" }.max { $0.startedAt < $1.startedAt }
                    if let f = freshest, let i = workers.firstIndex(where: { f.worker.contains("-\($0.pid)-") }) { k = i }
                }
                // Never one holding a task with a single attempt left. The freshest task is often
                // one just requeued (served first), so the aimed kills would hit the same task
                // again and again: the schedule alone must not use up a task's attempts, and a
                // task that fails is then a failure to investigate, not bad luck.
                let spared = workers.indices.filter { i in
                    !rows.contains { $0.status == "running" && $0.worker.contains("-\(workers[i].pid)-") && $0.attempts >= Self.maxAttempts - 1 }
                }
                if !spared.contains(k) {
                    killsSpared += 1
                    k = spared.isEmpty ? -1 : spared[Int.random(in: 0..<spared.count, using: &rng)]
                }
                nextWorkerKill = Date().addingTimeInterval(Double.random(in: 0.3...0.9, using: &rng))
            }
            if k >= 0 {
                let victim = workers[k]
                let tag = "-\(victim.pid)-"
                let holding = rows.filter { $0.status == "running" && $0.worker.contains(tag) }
                // the task it began: handed out before the one queued behind it
                let held = holding.min { $0.startedAt < $1.startedAt }
                victim.signal(SIGKILL)
                for r in holding { note(r.taskID, "its worker \(victim.pid) SIGKILLed (kill \(workersKilled + 1))") }
                let killedAt = Date()
                _ = victim.wait(timeout: 5)
                workersKilled += 1
                if let held {
                    pendingHandoffs.append(Handoff(taskID: held.taskID, tag: tag, handedOutAt: held.startedAt, killedAt: killedAt,
                                                   generation: coordinatorGeneration))
                }
                workers[k] = try startWorker()
            }

            // once: SIGKILL the coordinator and start the same command again
            if coordinatorGeneration == 0 && completed >= coordinatorKillAt {
                coordinator.signal(SIGKILL)
                let killedAt = Date()
                for r in rows where r.status == "running" { note(r.taskID, "the coordinator SIGKILLed") }
                coordinatorOutputs.append(coordinator.wait(timeout: 5))
                Thread.sleep(forTimeInterval: Double.random(in: 0.2...1.0, using: &rng))   // the schedule: down 0.2-1 s
                coordinator = try Self.restartCoordinator(coordinatorArgs, logs: dir, processes)
                coordinatorGeneration += 1
                coordinatorDownMs = Int(Date().timeIntervalSince(killedAt) * 1000)
                print("chaos: coordinator SIGKILLed with \(completed) of \(Self.gridSize) task(s) completed; " +
                      "restarted after \(coordinatorDownMs) ms")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let elapsed = Date().timeIntervalSince(start)
        let last = coordinator.wait(timeout: timedOut ? 0 : 10)
        coordinatorOutputs.append(last)
        #expect(!timedOut, "the chaos run did not finish within \(Int(Self.chaosTimeout)) s; coordinator: \(Self.tail(last.stderr))")
        #expect(last.status == 0, "restarted coordinator: \(Self.tail(last.stderr))")
        #expect(coordinatorGeneration == 1, "the coordinator was not restarted")
        #expect(workersKilled >= 3, "only \(workersKilled) worker(s) were killed")

        // What the coordinators dropped. Messages a worker queued on a connection that outlived
        // the restart come before its hello and are dropped; it says hello and resends them
        // once it notices the silence. But every worker here only reports tasks it was given,
        // so a result dropped as "never given it" is a result the sweep refused to take from
        // its rightful holder: no ACK ever comes, the worker keeps it forever.
        let dropped = coordinatorOutputs.flatMap { $0.stderr.split(separator: "\n").filter { $0.contains("dropped") } }
        let droppedResults = dropped.filter { $0.contains("dropped a result") }
        let withoutHello = dropped.filter { $0.contains("has not said hello") }.count
        #expect(droppedResults.isEmpty, """
            results of tasks their sender was given were dropped without an ACK \
            (the task ran again elsewhere): \(droppedResults)
            """)

        // workers started with --exit-when-done leave once the coordinator says the sweep is over
        var stuckWorkers: [String] = []
        let exitDeadline = Date().addingTimeInterval(10)
        for w in workers {
            let r = w.wait(timeout: max(0, exitDeadline.timeIntervalSinceNow))
            guard r.status != 0 else { continue }
            let itsDrops = droppedResults.filter { $0.contains("-\(w.pid)-") }
            stuckWorkers.append("pid \(w.pid) (status \(r.status)); the coordinator logged for it: \(itsDrops)")
        }
        #expect(stuckWorkers.isEmpty, "workers still running 10 s after the sweep ended: \(stuckWorkers)")

        // 3. the store: every task completed exactly once, with metrics
        let summary = try storeRows(chaosDB, """
            select count(*), count(distinct task_id), sum(status = 'completed'),
                   sum(metrics is not null and metrics like '%"test_accuracy"%'), max(attempts)
            from tasks
            """).first ?? []
        let figures = summary.map { Int($0) ?? -1 }
        #expect(figures.count == 5)
        let (rowCount, distinctIDs, completedRows, withMetrics, maxAttempts) =
            figures.count == 5 ? (figures[0], figures[1], figures[2], figures[3], figures[4]) : (-1, -1, -1, -1, -1)
        #expect(rowCount == Self.gridSize, "rows in tasks")
        #expect(distinctIDs == Self.gridSize, "distinct task ids")
        #expect(completedRows == Self.gridSize, "completed tasks")
        #expect(withMetrics == Self.gridSize, "tasks with final metrics")
        // a task that used up its attempts is a failure to investigate: what happened to it
        func story(_ taskID: String) -> String {
            "task \(taskID):\n" + (history[taskID] ?? []).map { "    " + $0 }.joined(separator: "\n")
        }
        let notCompleted = try storeRows(chaosDB, "select task_id, status, attempts, error from tasks where status != 'completed'")
        #expect(notCompleted.isEmpty, "\(notCompleted)\n\(notCompleted.map { story($0[0]) }.joined(separator: "\n"))")
        for r in try storeRows(chaosDB, "select task_id, attempts from tasks where attempts >= \(Self.maxAttempts)") {
            print("chaos: \(r[0]) took \(r[1]) of \(Self.maxAttempts) attempts; \(story(r[0]))")
        }
        let cleanIDs = Set(try storeRows(cleanDB, "select task_id from tasks").map { $0[0] })
        let chaosIDs = Set(try storeRows(chaosDB, "select task_id from tasks").map { $0[0] })
        #expect(cleanIDs == chaosIDs)
        #expect(changedAfterCompletion.isEmpty, "completed tasks that changed afterwards: \(Set(changedAfterCompletion))")
        let strayEpochs = try storeRows(chaosDB, "select count(*) from epochs where task_id not in (select task_id from tasks)")
        #expect(strayEpochs.first?.first == "0", "epoch rows of unknown tasks")
        let withEpochs = Int(try storeRows(chaosDB, "select count(distinct task_id) from epochs").first?.first ?? "") ?? -1
        // every task reports its epochs, and the worker resends them after a reconnect: a task whose
        // stored result came from a worker that had lost it meanwhile keeps that worker's epochs
        #expect(withEpochs == Self.gridSize, "tasks with epoch rows: \(withEpochs) of \(Self.gridSize)")

        // each coordinator prints one line per task it finishes (after the commit): none twice
        var finishedLines: [String: Int] = [:]
        for out in coordinatorOutputs {
            for line in out.stdout.split(separator: "\n") where line.hasPrefix("[") {
                let parts = line.split(separator: " ")
                if parts.count >= 3 { finishedLines[String(parts[1]), default: 0] += 1 }
            }
        }
        let duplicated = finishedLines.values.filter { $0 > 1 }.count + (rowCount - distinctIDs)
        let lost = Self.gridSize - completedRows
        #expect(duplicated == 0, "tasks finished more than once: \(finishedLines.filter { $0.value > 1 })")

        // 4. the leaderboard equals the undisturbed run's in everything deterministic
        let chaosBoard = try Self.leaderboard(chaosDB)
        #expect(chaosBoard.count == cleanBoard.count)
        let a = cleanBoard.map(Self.deterministic), b = chaosBoard.map(Self.deterministic)
        let differing = zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(differing.isEmpty, "\(differing.count) leaderboard row(s) differ, first: \(differing.first.map { "clean \($0.element.0)\nchaos \($0.element.1)" } ?? "")")

        let sorted = handoffMs.sorted()
        let handoff = sorted.isEmpty ? "none measured"
            : "median \(sorted[sorted.count / 2]) ms, min \(sorted.first!) ms, max \(sorted.last!) ms over \(sorted.count) kill(s)"
        print("""
            chaos: \(Self.gridSize) tasks in \(String(format: "%.1f", elapsed)) s (seed \(seed)): \
            \(workersKilled) worker(s) SIGKILLed (\(killsSpared) kill(s) moved off a task with one attempt left), 1 coordinator restart (down \(coordinatorDownMs) ms), \
            tasks lost \(lost), duplicated \(duplicated), max attempts \(maxAttempts) (seen while running \(maxAttemptsSeen)), \
            leaderboard rows differing from the undisturbed run \(differing.count)
            chaos: death → task handed out again (heartbeat 0.2 s × liveness 3): \(handoff)\
            \(handoffsUnmeasured > 0 ? "; \(handoffsUnmeasured) not measured (its result got in first, or the coordinator restarted meanwhile)" : "")
            chaos: dropped by the coordinators: \(droppedResults.count) result(s) from their holder, \
            \(withoutHello) message(s) queued before a reconnect's hello; tasks with epoch rows \(withEpochs) of \(Self.gridSize), \
            workers not exiting after done \(stuckWorkers.count)
            """)
        for line in droppedResults.prefix(8) { print("chaos: " + line) }
        #expect(!handoffMs.isEmpty, "no worker death was followed by a measured hand-off")
    }

    // MARK: helpers

    static func coordinatorArguments(_ spec: String, _ db: String, _ endpoint: String) -> [String] {
        ["coordinator", spec, "--bind", endpoint, "--db", db] + heartbeat
    }

    /// Starts the coordinator on a port the system chooses; returns the endpoint it bound.
    static func startCoordinator(_ spec: String, _ db: String, logs: String,
                                 _ processes: TestProcesses) throws -> (String, LoggedProcess) {
        let c = try processes.logged(coordinatorArguments(spec, db, "tcp://127.0.0.1:*"), logPrefix: logs + "/coordinator-start")
        return (try c.listeningEndpoint(), c)
    }

    /// The same command again (same port), tried again while the port is taken.
    static func restartCoordinator(_ args: [String], logs: String, _ processes: TestProcesses) throws -> LoggedProcess {
        var failures: [String] = []
        for attempt in 0..<10 {
            let c = try processes.logged(args, logPrefix: logs + "/coordinator-restart-\(attempt)")
            do {
                _ = try c.listeningEndpoint()
                return c
            } catch {
                failures.append(tail(c.wait(timeout: 2).stderr))
                Thread.sleep(forTimeInterval: 0.3)   // before the next try
            }
        }
        throw ChaosError("the coordinator could not be restarted with \(args): \(failures)")
    }

    struct TaskRow { let taskID: String; let status: String; let worker: String; let attempts: Int; let startedAt: Double }

    /// The tasks as the store has them now; empty while the file or its schema does not exist yet.
    static func taskRows(_ db: String) -> [TaskRow] {
        storeRowsIfAny(db, "select task_id, status, coalesce(worker, ''), attempts, coalesce(started_at, 0) from tasks").compactMap { r in
            r.count == 5 ? TaskRow(taskID: r[0], status: r[1], worker: r[2], attempts: Int(r[3]) ?? 0,
                                   startedAt: Double(r[4]) ?? 0) : nil
        }
    }


    static func leaderboard(_ db: String) throws -> [[String: Any]] {
        let r = try runQuickCommand(sweepBinary(), ["leaderboard", "--db", db, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] ?? []
    }

    /// A leaderboard row without what depends on who ran it and when: worker,
    /// attempts, wall-clock times.
    static func deterministic(_ row: [String: Any]) -> String {
        var r = row
        r["worker"] = nil
        r["attempts"] = nil
        r["wall_seconds"] = nil
        if var m = r["metrics"] as? [String: Any] {
            m["wall_seconds"] = nil
            m["samples_per_second"] = nil
            r["metrics"] = m
        }
        let data = (try? JSONSerialization.data(withJSONObject: r, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The pid in a worker's name, HOST-PID-RANDOM@HOST.
    static func pid(of worker: String) -> String {
        let parts = worker.split(separator: "@").first?.split(separator: "-") ?? []
        return parts.count >= 3 ? String(parts[parts.count - 2]) : worker
    }

    static func tail(_ text: String, lines: Int = 15) -> String {
        text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

struct ChaosError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A small seeded generator, so a chaos schedule can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
