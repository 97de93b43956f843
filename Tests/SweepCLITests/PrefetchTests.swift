import Foundation
import Testing
import TestSupport

/// `sweep worker --prefetch N`: while tasks are short, a worker holds up to N
/// tasks beyond its slots, so a free slot need not wait for the coordinator's
/// round trip. Queued tasks never start once the worker is stopping: they go
/// back to the coordinator without costing an attempt.
@Suite(.serialized) struct PrefetchTests {
    static func count(_ db: String, _ condition: String) -> Int {
        Int(SecurityTests.sql(db, "select count(*) from tasks where \(condition)")) ?? -1
    }

    @Test func aPrefetchingWorkerHoldsMoreThanItsSlotsAndStartsNoneOnStop() throws {
        let dir = makeTemporaryDirectory("sweep-prefetch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = SecurityTests.noopSpec(dir, tasks: 10, durationMs: 300, name: "prefetch")
        let db = dir + "/sweep.db"
        let processes = TestProcesses()
        defer { processes.endAll() }
        let coordinator = try processes.sweep(["coordinator", spec, "--bind", "tcp://127.0.0.1:*", "--db", db])
        let endpoint = try coordinator.listeningEndpoint()
        let first = try processes.sweep(["worker", "--connect", endpoint, "--concurrency", "1", "--prefetch", "2",
                                          "--prefetch-below", "1", "--grace", "10"])
        let mine = "worker like '%-\(first.pid)-%'"

        // after its first result (300 ms < the 1 s of --prefetch-below) it asks for two more than its one slot
        var held = 0
        waitUntil(timeout: 10, poll: 0.05) {
            held = Self.count(db, "status = 'running' and \(mine)")
            return held >= 3
        }
        #expect(held == 3, "one running and two queued")

        let before = Self.count(db, "status = 'completed' and \(mine)")
        first.signal(SIGTERM)
        let r = first.wait(timeout: 15)
        #expect(r.status == 0, "\(r.stderr)")
        // it finished the task it was running, and started none of the queued ones
        #expect(Self.count(db, "status = 'completed' and \(mine)") <= before + 1)

        let second = try processes.sweep(["worker", "--connect", endpoint, "--concurrency", "4", "--exit-when-done"])
        #expect(second.wait(timeout: 30).status == 0)
        let c = coordinator.wait(timeout: 30)
        #expect(c.status == 0, "\(c.stderr)")
        let rows = try DistributedRunTests.leaderboard(db)
        #expect(rows.count == 10)
        #expect(rows.allSatisfy { $0["status"] as? String == "completed" && $0["attempts"] as? Int == 1 },
                "queued tasks handed back cost no attempt: \(rows.map { $0["attempts"] ?? "-" })")
    }
}
