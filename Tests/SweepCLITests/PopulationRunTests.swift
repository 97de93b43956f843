import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Method pbt end to end (issue 18), on the real `sweep` binary: real slot processes,
/// ZeroMQ sockets and a SQLite store. An exploit hands a member its source's checkpoint
/// bit for bit, and a coordinator killed mid-run and started again continues the
/// population: the lineage goes on where it stopped and every member trains every epoch.
@Suite(.serialized) struct PopulationRunTests {
    /// A tiny MLP on the synthetic data, four members, a step after every epoch.
    static let trainingSpec = """
        name: pbt-weights
        method: pbt
        seed: 3
        metric: {name: test_accuracy, goal: maximize}
        pbt: {population: 4, interval: 1, quantile: 0.25}
        parameters:
          dataset: {value: synthetic}
          model: {value: mlp}
          hidden: {value: 8}
          epochs: {value: 3}
          batch_size: {value: 32}
          optimizer: {value: adam}
          learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 3.0e-1}
        """

    @Test func anExploitingMemberStartsFromItsSourcesCheckpointBitForBit() throws {
        let dir = makeTemporaryDirectory("sweep-pbt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = dir + "/spec.yaml"
        try Self.trainingSpec.write(toFile: spec, atomically: true, encoding: .utf8)
        let db = dir + "/pbt.db"
        let r = try startSweep(["run", spec, "--workers", "2", "--db", db, "--save-weights"]).wait(timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try storeRows(db, "select status, count(*) from tasks group by status") == [["completed", "4"]])
        // every member has all its epochs, each once
        #expect(try storeRows(db, "select count(*) from epochs") == [["12"]])
        let lineage = try Self.lineage(db)
        #expect(!lineage.isEmpty, "a step after every epoch, one member copying: some exploit is expected")
        let weights = dir + "/weights/pbt-weights"
        for entry in lineage {
            let member = entry["member_id"] as! String, source = entry["source_id"] as! String, epoch = entry["epoch"] as! Int
            // the source's checkpoint after the epoch, as the coordinator stored it
            let sourceFile = try Self.read("\(weights)/checkpoints/\(source)/epoch-\(epoch).safetensors")
            // the member's next file (a checkpoint, or its final weights) names what it started from,
            // read back from its network and optimizer once loaded
            let next = epoch + 1 < 3 ? "\(weights)/checkpoints/\(member)/epoch-\(epoch + 1).safetensors" : "\(weights)/\(member).safetensors"
            let started = try Self.metadata(try Self.read(next))["pbt.started_from"]
            #expect(started == String(try Self.stateDigest(sourceFile), radix: 16),
                    "member \(member) after epoch \(epoch) did not start from \(source)'s checkpoint")
        }
        // the leaderboard shows each member's configuration as it ended: its last exploit's, else its own
        let board = try ChaosTests.leaderboard(db)
        #expect(board.count == 4)
        for row in board {
            let member = row["task_id"] as! String
            let last = lineage.last { $0["member_id"] as? String == member }
            let expected = try last.map { try JSONSerialization.jsonObject(with: Data(($0["config"] as! String).utf8)) as! [String: Any] }
                ?? (try JSONSerialization.jsonObject(with: Data(try storeRows(db, "select params from tasks where task_id = '\(member)'")[0][0].utf8))
                    as! [String: Any])
            let shown = row["params"] as! [String: Any]
            #expect(shown["learning_rate"] as? Double == expected["learning_rate"] as? Double,
                    "member \(member): the leaderboard shows \(shown["learning_rate"] ?? "none"), its last configuration has \(expected["learning_rate"] ?? "none")")
        }
        #expect(lineage.contains { e in
            let initial = try? storeRows(db, "select json_extract(params, '$.learning_rate') from tasks where task_id = '\(e["member_id"]!)'")
            return (try? JSONSerialization.jsonObject(with: Data((e["config"] as! String).utf8)) as? [String: Any])?["learning_rate"] as? Double
                != initial?.first?.first.flatMap(Double.init)
        }, "some exploit changed a learning rate: the test would not tell initial from current")
        // a member that did not exploit went on from its own checkpoint
        let members = try storeRows(db, "select task_id from tasks").map { $0[0] }
        let exploited = Set(lineage.map { "\($0["member_id"]!)@\($0["epoch"]!)" })
        for m in members where !exploited.contains("\(m)@1") {
            let own = try Self.read("\(weights)/checkpoints/\(m)/epoch-1.safetensors")
            let next = try Self.read("\(weights)/checkpoints/\(m)/epoch-2.safetensors")
            #expect(try Self.metadata(next)["pbt.started_from"] == String(try Self.stateDigest(own), radix: 16))
        }
        // the report draws the lineage: an arrow and a table row per exploit
        let report = try runSweep(["report", "--db", db, "--out", dir + "/report.html"])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        #expect(html.contains("<h2>Population-based training</h2>"))
        #expect(html.components(separatedBy: "<g class=\"exploit\">").count - 1 == lineage.count)
    }

    /// Noop members (the synthetic objective: a seeded score per configuration), seven
    /// steps 0.25 s apart; explore draws anew, so copies do not tie their source and most
    /// steps exploit. The coordinator is SIGKILLed once the population passed three steps.
    static let restartSpec = """
        name: pbt-restart
        method: pbt
        seed: 5
        metric: {name: test_accuracy, goal: maximize}
        pbt: {population: 4, interval: 1, quantile: 0.25, resample_probability: 1}
        parameters:
          model: {value: noop}
          epochs: {value: 8}
          duration_ms: {value: 2000}
          optimizer: {value: adam}
          learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
        """

    @Test func aRestartedCoordinatorContinuesThePopulation() throws {
        let dir = makeTemporaryDirectory("sweep-pbt-restart")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = dir + "/spec.yaml"
        try Self.restartSpec.write(toFile: spec, atomically: true, encoding: .utf8)
        // the same sweep without a crash: what the population decides then
        let cleanDB = dir + "/clean.db"
        let clean = try startSweep(["run", spec, "--workers", "2", "--db", cleanDB]).wait(timeout: 120)
        #expect(clean.status == 0, "\(clean.stderr)")
        let expected = try storeRows(cleanDB, "select entry from pbt_lineage order by seq").map { $0[0] }
        #expect(!expected.isEmpty)
        // without --save-weights no checkpoint outlives the sweep
        let checkpoints = dir + "/weights/pbt-restart/checkpoints"
        #expect(!FileManager.default.fileExists(atPath: checkpoints), "\(Self.checkpointFiles(checkpoints))")

        let db = dir + "/chaos.db"
        let processes = TestProcesses()
        defer { processes.endAll() }
        let (endpoint, first) = try ChaosTests.startCoordinator(spec, db, logs: dir, processes)
        var workers: [LoggedProcess] = []
        for n in 0..<2 {
            workers.append(try processes.logged(["worker", "--connect", endpoint, "--concurrency", "1", "--exit-when-done"]
                                                + ChaosTests.heartbeat, logPrefix: dir + "/worker-\(n)"))
        }
        #expect(waitUntil(timeout: 60) {
            (storeRowsIfAny(db, "select min(epoch) from pbt_members").first?.first).flatMap { Int($0) } ?? 0 >= 3
                && storeRowsIfAny(db, "select count(*) from pbt_members").first?.first == "4"
        }, "coordinator: \(ChaosTests.tail(first.stderr))")
        // a member's older checkpoints went as the population moved on: none is older than the
        // interval before the slowest member's (what its pending exploit may start from, or
        // what waits for the commit that replaced it)
        let slowest = try storeRows(db, "select min(epoch) from pbt_members")[0][0]
        let files = Self.checkpointFiles(checkpoints)
        #expect(!files.isEmpty && files.allSatisfy { $0.epoch >= Int(slowest)! - 1 }, "slowest member at \(slowest): \(files)")
        first.signal(SIGKILL)
        _ = first.wait(timeout: 5)
        let before = try storeRows(db, "select count(*) from pbt_lineage")[0][0]
        let second = try ChaosTests.restartCoordinator(ChaosTests.coordinatorArguments(spec, db, endpoint), logs: dir, processes)
        let c = second.wait(timeout: 90)
        #expect(c.status == 0, "restarted coordinator: \(ChaosTests.tail(c.stderr))")
        for w in workers { #expect(w.wait(timeout: 15).status == 0, "worker: \(ChaosTests.tail(w.stderr))") }
        #expect(!FileManager.default.fileExists(atPath: checkpoints), "after the restart: \(Self.checkpointFiles(checkpoints))")

        // every member completed: none ended by an interval's late or cancelled run (the
        // restarted coordinator hands out the interval that was running; its first worker,
        // reconnecting later, sends that interval's result, and the second run's answer to
        // its cancel once ended a member `stopped` and the first's epochs were lost)
        let unfinished = try storeRows(db, "select task_id, status, attempts, error from tasks where status != 'completed'")
        #expect(unfinished.isEmpty, "unfinished members: \(unfinished)")
        #expect(try storeRows(db, "select status, count(*) from tasks group by status") == [["completed", "4"]])
        // every member trained every epoch, and its result is its last
        for row in try storeRows(db, "select task_id, count(*), min(epoch), max(epoch) from epochs group by task_id") {
            #expect(row[1...] == ["8", "1", "8"], "member \(row[0]): \(row)")
        }
        #expect(try storeRows(db, "select count(*) from tasks where json_extract(metrics, '$.epoch') = 8") == [["4"]])
        // the lineage went on after the restart, exactly as the run without one decided
        let lineage = try storeRows(db, "select seq, entry from pbt_lineage order by seq")
        #expect(lineage.map { Int($0[0])! } == Array(0..<lineage.count))
        #expect(lineage.map { $0[1] } == expected, "lineage after a restart (\(before) entries before it)")
        #expect(Int(before)! < lineage.count, "no step exploited after the restart")
    }

    /// Two members of a small MLP whose epochs take a few tenths of a second, a step after
    /// epochs 3 and 6: a worker can be caught in the middle of an interval.
    static let killSpec = """
        name: pbt-kill
        method: pbt
        seed: 7
        metric: {name: test_accuracy, goal: maximize}
        pbt: {population: 2, interval: 3, quantile: 0.25}
        parameters:
          dataset: {value: synthetic}
          model: {value: mlp}
          hidden: {value: 256}
          layers: {value: 2}
          epochs: {value: 9}
          batch_size: {value: 8}
          optimizer: {value: adam}
          learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-2}
        """

    /// Issue 18: a worker killed mid-interval loses only that interval. The worker holding a
    /// member in its second interval is SIGKILLed after that interval's first epoch is stored;
    /// the interval is handed out again from the member's checkpoint after epoch 3 (its own,
    /// or its source's after an exploit), its earlier epochs stay as they were, and it
    /// finishes with all its epochs.
    @Test func aWorkerKilledMidIntervalLosesOnlyThatInterval() throws {
        let dir = makeTemporaryDirectory("sweep-pbt-kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = dir + "/spec.yaml"
        try Self.killSpec.write(toFile: spec, atomically: true, encoding: .utf8)
        let db = dir + "/pbt.db"
        let processes = TestProcesses()
        defer { processes.endAll() }
        let c = try processes.logged(ChaosTests.coordinatorArguments(spec, db, "tcp://127.0.0.1:*") + ["--save-weights"],
                                     logPrefix: dir + "/coordinator")
        let endpoint = try c.listeningEndpoint()
        var workers: [LoggedProcess] = []
        func startWorker() throws {
            workers.append(try processes.logged(["worker", "--connect", endpoint, "--concurrency", "1", "--exit-when-done"]
                                                + ChaosTests.heartbeat, logPrefix: dir + "/worker-\(workers.count)"))
        }
        try startWorker()
        try startWorker()
        // a member in its second interval (checkpoint after epoch 3 stored, epoch 4 too) and the worker that holds it
        let found = waitFor(timeout: 120) { () -> (member: String, pid: Int32)? in
            let rows = storeRowsIfAny(db, """
                select t.task_id, w.pid from tasks t join pbt_members m using (sweep_id, task_id)
                join workers w on w.sweep_id = t.sweep_id and w.worker = t.worker
                where t.status = 'running' and m.epoch = 3
                and (select max(epoch) from epochs e where e.task_id = t.task_id) = 4
                """)
            return rows.first.flatMap { r in Int32(r[1]).map { (r[0], $0) } }
        }
        let (member, pid) = try #require(found, "no member reached epoch 4: \(ChaosTests.tail(c.stderr))")
        let victim = try #require(workers.first { $0.pid == pid }, "the member's worker \(pid) is none of this test's")
        let earlier = try storeRows(db, "select epoch, metrics from epochs where task_id = '\(member)' and epoch <= 3 order by epoch")
        victim.signal(SIGKILL)
        _ = victim.wait(timeout: 5)
        // the kill landed mid-interval: the member had not reached its next boundary
        #expect(try storeRows(db, "select epoch from pbt_members where task_id = '\(member)'") == [["3"]],
                "the interval ended before the kill")
        try startWorker()
        let result = c.wait(timeout: 120)
        #expect(result.status == 0, "coordinator: \(ChaosTests.tail(result.stderr))")
        for w in workers where w !== victim { #expect(w.wait(timeout: 15).status == 0, "worker: \(ChaosTests.tail(w.stderr))") }

        #expect(result.stderr.contains("lost"), "the coordinator took the killed worker for lost: \(ChaosTests.tail(result.stderr))")
        #expect(try storeRows(db, "select status, count(*) from tasks group by status") == [["completed", "2"]])
        // every member has all its epochs, each once; the killed member's first interval was not run again
        for row in try storeRows(db, "select task_id, count(*), min(epoch), max(epoch) from epochs group by task_id") {
            #expect(row[1...] == ["9", "1", "9"], "member \(row[0]): \(row)")
        }
        #expect(try storeRows(db, "select epoch, metrics from epochs where task_id = '\(member)' and epoch <= 3 order by epoch")
                == earlier, "the epochs before the lost interval were trained again")
        // one run per interval, and one more for the interval lost
        #expect(try storeRows(db, "select attempts from tasks where task_id = '\(member)'") == [["4"]])
        // the interval ran again from the checkpoint it started from before: the member's own after
        // epoch 3, or its source's when it copied one there
        let weights = dir + "/weights/pbt-kill"
        let source = try Self.lineage(db).first { $0["member_id"] as? String == member && $0["epoch"] as? Int == 3 }?["source_id"]
            as? String ?? member
        let start = try Self.read("\(weights)/checkpoints/\(source)/epoch-3.safetensors")
        let next = try Self.read("\(weights)/checkpoints/\(member)/epoch-6.safetensors")
        #expect(try Self.metadata(next)["pbt.started_from"] == String(try Self.stateDigest(start), radix: 16),
                "member \(member)'s interval after the kill did not start from \(source)'s checkpoint after epoch 3")
    }

    // MARK: helpers

    static func lineage(_ db: String) throws -> [[String: Any]] {
        try storeRows(db, "select entry from pbt_lineage order by seq").map {
            try JSONSerialization.jsonObject(with: Data($0[0].utf8)) as! [String: Any]
        }
    }

    /// The checkpoint files under `directory` (`<task id>/epoch-<n>.safetensors`).
    static func checkpointFiles(_ directory: String) -> [(member: String, epoch: Int)] {
        let members = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return members.sorted().flatMap { m in
            ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + m)) ?? []).compactMap { f in
                f.hasPrefix("epoch-") && f.hasSuffix(".safetensors")
                    ? Int(f.dropFirst(6).dropLast(12)).map { (m, $0) } : nil
            }
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else { throw ChaosError("no file \(path)") }
        return [UInt8](d)
    }

    /// The JSON header of a safetensors file.
    static func header(_ file: [UInt8]) throws -> [String: Any] {
        var n = 0
        for i in (0..<8).reversed() { n = n << 8 | Int(file[i]) }
        return try JSONSerialization.jsonObject(with: Data(file[8..<(8 + n)])) as! [String: Any]
    }

    static func metadata(_ file: [UInt8]) throws -> [String: String] {
        (try header(file)["__metadata__"] as? [String: String]) ?? [:]
    }

    /// FNV-1a over every tensor's name and bytes in name order (`Checkpoint.stateDigest`).
    static func stateDigest(_ file: [UInt8]) throws -> UInt64 {
        let h = try header(file)
        var n = 0
        for i in (0..<8).reversed() { n = n << 8 | Int(file[i]) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for name in h.keys.filter({ $0 != "__metadata__" }).sorted() {
            let offsets = (h[name] as! [String: Any])["data_offsets"] as! [Int]
            for b in name.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
            for b in file[(8 + n + offsets[0])..<(8 + n + offsets[1])] { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        return hash
    }
}
