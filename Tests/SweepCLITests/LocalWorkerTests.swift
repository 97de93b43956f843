import Foundation
import Testing
import TestSupport

/// `sweep run`'s local workers live and die with it: SIGKILL the run and nothing of it
/// remains; SIGKILL one of its workers and it comes back.
@Suite(.serialized) struct LocalWorkerTests {
    static let spec = """
        name: local-workers
        method: grid
        parameters:
          model: {value: noop}
          duration_ms: {value: 1200}
          seed: {values: [1, 2, 3, 4, 5, 6, 7, 8]}
        """

    static func tasks(_ db: String) -> [(status: String, attempts: Int, worker: String, finishedAt: Double)] {
        storeRowsIfAny(db, "select status, attempts, coalesce(worker, ''), coalesce(finished_at, 0) from tasks").map { ($0[0], Int($0[1]) ?? -1, $0[2], Double($0[3]) ?? 0) }
    }

    static func workers(of run: Int32) -> [Int32] {
        descendants(of: run).filter { commandLine($0).contains(" worker ") }
    }

    /// SIGKILL a `sweep run` mid-task: within 2 s no process of it remains (workers and their
    /// slots follow their parent's death) and it left no folder; the same command then finishes
    /// the sweep with every task completed exactly once.
    @Test func aKilledRunLeavesNothingBehindAndResumes() throws {
        let dir = makeTemporaryDirectory("sweep-test-run-kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, Self.spec)
        let db = dir + "/sweep.db"
        let tmpBefore = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
        let run = try LoggedProcess(["run", spec, "--workers", "2", "--db", db], logPrefix: dir + "/run")
        defer { run.end() }
        #expect(waitUntil(timeout: 30) { Self.tasks(db).filter { $0.status == "running" && $0.attempts == 1 }.count == 2 })
        let family = descendants(of: run.pid)
        #expect(family.count == 4, "2 workers and their slots: \(family.map(commandLine))")
        run.signal(SIGKILL)
        _ = run.wait(timeout: 5)
        #expect(waitUntil(timeout: 2) { family.allSatisfy { !isAlive($0) } },
                "still alive: \(family.filter(isAlive).map(commandLine))")
        let left = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
            .subtracting(tmpBefore).filter { $0.hasPrefix("sweep-\(run.pid)") }
        #expect(left.isEmpty, "left behind: \(left)")

        let again = try runSweep(["run", spec, "--workers", "2", "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        let rows = Self.tasks(db)
        #expect(rows.count == 8 && rows.allSatisfy { $0.status == "completed" })
        // the two runs the kill cut short count, once each; nothing else ran twice
        #expect(rows.map(\.attempts).sorted() == [1, 1, 1, 1, 1, 1, 2, 2])
    }

    /// SIGKILL one local worker: `sweep run` says so in one line, restarts it within 2 s,
    /// and the sweep finishes with both workers busy.
    @Test func aKilledLocalWorkerIsRestarted() throws {
        let dir = makeTemporaryDirectory("sweep-test-worker-kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, Self.spec)
        let db = dir + "/sweep.db"
        let run = try LoggedProcess(["run", spec, "--workers", "2", "--db", db], logPrefix: dir + "/run")
        defer { run.end() }
        #expect(waitUntil(timeout: 30) { Self.tasks(db).filter { $0.status == "running" && $0.attempts == 1 }.count == 2 })
        let before = Self.workers(of: run.pid)
        #expect(before.count == 2)
        let killedAt = Date()
        kill(before[1], SIGKILL)
        #expect(waitUntil(timeout: 2) {
            let now = Self.workers(of: run.pid)
            return now.count == 2 && !now.contains(before[1])
        }, "restarted within 2 s")
        print("worker restarted \(String(format: "%.2f", Date().timeIntervalSince(killedAt))) s after the kill")
        let r = run.wait(timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        let line = r.stderr.split(separator: "\n").first { $0.contains("died (signal 9)") }
        let said = try #require(line, "\(r.stderr)")
        #expect(said.hasPrefix("sweep: worker ") && said.contains("back to pending; restarted"), "\(said)")
        let rows = Self.tasks(db)
        #expect(rows.allSatisfy { $0.status == "completed" })
        #expect(rows.map(\.attempts).sorted() == [1, 1, 1, 1, 1, 1, 1, 2])
        // after the kill, both workers (the survivor and the new one) finished tasks
        let since = killedAt.timeIntervalSince1970
        #expect(Set(rows.filter { $0.finishedAt > since + 0.5 }.map(\.worker)).count == 2)
    }
}
