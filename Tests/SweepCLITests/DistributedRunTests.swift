import Foundation
import Testing
import TestSupport

/// End-to-end: the real `sweep` binary as separate processes, real ZeroMQ sockets
/// on 127.0.0.1 and a real SQLite file.
@Suite(.serialized) struct DistributedRunTests {
    static func writeSpec(_ dir: String, _ text: String, name: String = "spec.yaml") -> String {
        let path = dir + "/" + name
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let grid = """
        name: e2e-grid
        method: grid
        metric: {name: test_accuracy, goal: maximize}
        parameters:
          dataset: {value: synthetic}
          model: {value: mlp}
          train_per_class: {value: 30}
          test_per_class: {value: 10}
          hidden: {values: [8, 16]}
          learning_rate: {values: [0.01, 0.003, 0.001]}
        """

    /// Binds a port the system chooses; the coordinator names it ("listening on …").
    static let anyPort = "tcp://127.0.0.1:*"

    static func leaderboard(_ db: String) throws -> [[String: Any]] {
        let r = try runSweep(["leaderboard", "--db", db, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] ?? []
    }

    @Test func coordinatorAndTwoWorkersOverTCPRunEveryTaskOnce() throws {
        let dir = makeTemporaryDirectory("sweep-e2e")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = Self.writeSpec(dir, Self.grid)
        let db = dir + "/sweep.db"
        let processes = TestProcesses()
        defer { processes.endAll() }

        let coordinator = try processes.sweep(["coordinator", spec, "--bind", Self.anyPort, "--db", db])
        let endpoint = try coordinator.listeningEndpoint()
        let workers = try (0..<2).map { _ in
            try processes.sweep(["worker", "--connect", endpoint, "--concurrency", "1", "--exit-when-done"])
        }
        let c = coordinator.wait(timeout: 180)
        #expect(c.status == 0, "coordinator: \(c.stderr)")
        for w in workers {
            let r = w.wait(timeout: 30)
            #expect(r.status == 0, "worker: \(r.stderr)")
        }

        // the leaderboard holds exactly the expanded tasks, each completed once
        let expanded = try runSweep(["expand", spec, "--format", "json"])
        let tasks = try JSONSerialization.jsonObject(with: Data(expanded.stdout.utf8)) as! [[String: Any]]
        let board = try Self.leaderboard(db)
        #expect(board.count == 6)
        #expect(Set(board.map { $0["task_id"] as! String }) == Set(tasks.map { $0["task_id"] as! String }))
        #expect(board.allSatisfy { $0["status"] as? String == "completed" && $0["attempts"] as? Int == 1 })
        let accuracies = board.map { ($0["metrics"] as! [String: Any])["test_accuracy"] as! Double }
        #expect(accuracies == accuracies.sorted(by: >))
        let workersSeen = Set(board.map { $0["worker"] as! String })
        print("e2e: 6 tasks over \(workersSeen.count) worker(s), best test_accuracy \(accuracies[0])")

        // the same command again runs nothing twice
        let again = try runSweep(["coordinator", spec, "--bind", Self.anyPort, "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        let board2 = try Self.leaderboard(db)
        #expect(board2.map { $0["attempts"] as? Int } == board.map { $0["attempts"] as? Int })
        #expect(board2.map { $0["wall_seconds"] as? Double } == board.map { $0["wall_seconds"] as? Double })
    }

    @Test func runIsTheEmbeddedDefaultAndResumes() throws {
        let dir = makeTemporaryDirectory("sweep-run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = Self.writeSpec(dir, """
            name: noop-grid
            method: grid
            parameters:
              model: {value: noop}
              duration_ms: {value: 20}
              seed: {values: [1, 2, 3, 4, 5, 6, 7, 8]}
            """)
        let db = dir + "/sweep.db"
        let r = try runSweep(["run", spec, "--workers", "2", "--db", db])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("[8/8]"), "one plain line per finished task off a terminal: \(r.stdout)")
        #expect(try Self.leaderboard(db).count == 8)
        #expect(!FileManager.default.fileExists(atPath: dir + "/weights"), "noop tasks have no weights: the startup check leaves nothing")
        let again = try runSweep(["run", spec, "--workers", "2", "--db", db])
        #expect(again.status == 0)
        #expect(again.stdout.contains("resuming: 8 of 8"), "\(again.stdout)")
        #expect(!again.stdout.contains("[8/8]"))
    }

    @Test func badSpecExitsTwoWithTheLine() throws {
        let dir = makeTemporaryDirectory("sweep-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = Self.writeSpec(dir, """
            method: grid
            parameters:
              lerning_rate: {values: [0.1]}
            """)
        let r = try runSweep(["run", spec, "--db", dir + "/x.db"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("sweep: \(spec):3:"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    /// The best task's weights always go to <db dir>/weights/<sweep>/: when that directory
    /// cannot be made or written, run and coordinator stop before anything starts, with exit
    /// code 2 and one line naming the directory and the reason. (A plain file in the way
    /// stops root too, who may write anywhere else.)
    @Test func unwritableWeightsDirectoryExitsTwoWithTheLine() throws {
        let dir = makeTemporaryDirectory("sweep-weights-dir")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = Self.writeSpec(dir, """
            name: kept
            method: grid
            parameters:
              model: {value: noop}
              seed: {values: [1, 2]}
            """)
        #expect(FileManager.default.createFile(atPath: dir + "/weights", contents: Data()))
        let line = "sweep: weights directory \(dir)/weights/kept is not writable: \(dir)/weights: Not a directory"
        for args in [["run", spec, "--workers", "1", "--db", dir + "/x.db"],
                     ["coordinator", spec, "--bind", Self.anyPort, "--db", dir + "/x.db", "--save-weights"]] {
            let r = try runSweep(args)
            #expect(r.status == 2, "\(args[0]): \(r.stderr)")
            #expect(r.stderr == line + "\n", "\(args[0])")
            #expect(!FileManager.default.fileExists(atPath: dir + "/x.db"), "\(args[0]): nothing is stored before the check")
        }
    }

    /// Ctrl-C stops cleanly; the same command again finishes the rest and runs nothing twice.
    @Test func interruptedRunResumesWithoutRunningAnythingTwice() throws {
        let dir = makeTemporaryDirectory("sweep-int")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = Self.writeSpec(dir, """
            name: slow-noop
            method: grid
            parameters:
              model: {value: noop}
              duration_ms: {value: 300}
              seed: {values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}
            """)
        let db = dir + "/sweep.db"
        let processes = TestProcesses()
        defer { processes.endAll() }
        let first = try processes.sweep(["run", spec, "--workers", "2", "--db", db])
        // interrupt once the first task has ended (2 workers × 300 ms tasks: about 10 remain)
        #expect(waitUntil(timeout: 30) { Self.finishedTimes(db).count > 0 || !first.isRunning },
                "no task ended: \(first.stderr)")
        first.signal(SIGINT)
        let r1 = first.wait(timeout: 30)
        #expect(r1.status == 1, "\(r1.stderr)")
        #expect(r1.stderr.contains("stopped; run the same command again to resume"))
        let doneBefore = Self.finishedTimes(db)
        #expect(doneBefore.count > 0 && doneBefore.count < 12, "\(doneBefore.count) tasks ended before the interrupt")

        let r2 = try runSweep(["run", spec, "--workers", "2", "--db", db])
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(r2.stdout.contains("resuming: \(doneBefore.count) of 12"), "\(r2.stdout)")
        let doneAfter = Self.finishedTimes(db)
        #expect(doneAfter.count == 12)
        for (id, t) in doneBefore { #expect(doneAfter[id] == t, "task \(id) ran again") }
        print("interrupt: \(doneBefore.count) of 12 tasks ended before Ctrl-C, the rest after resuming")
    }

    /// task id → finished_at of the tasks that ended; none while the store has no tasks yet.
    static func finishedTimes(_ db: String) -> [String: String] {
        let rows = storeRowsIfAny(db, "select task_id, finished_at from tasks where finished_at is not null")
        return Dictionary(rows.filter { $0.count == 2 }.map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
    }

    /// On a terminal (a pseudo-terminal from script(1)) the progress is one line redrawn in place.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "script(1) is not installed"))
    func progressLineOnATerminal() throws {
        let dir = makeTemporaryDirectory("sweep-tty")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = Self.writeSpec(dir, """
            name: tty
            method: grid
            parameters:
              model: {value: noop}
              duration_ms: {value: 400}
              seed: {values: [1, 2, 3, 4, 5, 6]}
            """)
        let command = "\(sweepBinary()) run \(spec) --workers 2 --db \(dir)/sweep.db"
        let r = try runCommand("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("\r\u{1B}[K6/6 done"), "\(r.stdout.debugDescription)")
        #expect(r.stdout.contains("running") && r.stdout.contains("ETA") && r.stdout.contains("best test_accuracy"))
        #expect(!r.stdout.contains("[1/6]"), "no per-task lines on a terminal")
    }

    @Test func statusAndGroupedLeaderboard() throws {
        let dir = makeTemporaryDirectory("sweep-status")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = Self.writeSpec(dir, """
            name: grouped
            method: grid
            parameters:
              model: {value: noop}
              hidden: {values: [16, 32]}
              seed: {values: [1, 2, 3]}
            """)
        let db = dir + "/sweep.db"
        #expect(try runSweep(["run", spec, "--workers", "2", "--db", db]).status == 0)
        let status = try runSweep(["status", "--db", db])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("grouped"), "\(status.stdout)")
        #expect(status.stdout.contains("completed"), "\(status.stdout)")
        // the workers table: both local workers, gone with the run (their bye), between them the 6 tasks
        #expect(status.stdout.contains("  workers: 0 connected (0 slots), 2 seen\n"), "\(status.stdout)")
        let rows = status.stdout.split(separator: "\n").drop { !$0.contains("worker  ") }.dropFirst()
        #expect(rows.count == 2, "\(status.stdout)")
        let fields = rows.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(fields.allSatisfy { $0.count >= 10 && $0[3] == "left" }, "\(status.stdout)")
        // columns: worker host slots state last seen (3 words) running done lost
        #expect(fields.map { Int($0[$0.count - 2]) ?? -1 }.reduce(0, +) == 6, "done adds up to the tasks: \(status.stdout)")
        #expect(fields.allSatisfy { $0.last == "0" && $0[$0.count - 3] == "0" }, "none running, none lost: \(status.stdout)")
        let g = try runSweep(["leaderboard", "--db", db, "--group-by", "hidden", "--format", "json"])
        let groups = try JSONSerialization.jsonObject(with: Data(g.stdout.utf8)) as! [[String: Any]]
        #expect(groups.count == 2)
        #expect(groups.allSatisfy { $0["n"] as? Int == 3 })
        let csv = try runSweep(["leaderboard", "--db", db, "--format", "csv"])
        #expect(csv.stdout.split(separator: "\n").count == 7)
        let missing = try runSweep(["leaderboard", "--db", dir + "/nope.db"])
        #expect(missing.status == 2 && missing.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: dir + "/nope.db"))
    }
}
