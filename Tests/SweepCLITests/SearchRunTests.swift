import Foundation
import Testing
import TestSupport

/// Issue 8 end to end, on real `sweep` processes over ZeroMQ with a real store:
/// hyperband stops tasks that fall behind (status `stopped`, fewer epochs) and
/// stores its decisions; bayes proposes run_cap tasks while the sweep runs, and
/// the same command resumes without proposing more.
@Suite(.serialized) struct SearchRunTests {
    static func count(_ db: String, _ query: String) -> Int { Int(SecurityTests.sql(db, query)) ?? -1 }

    @Test func hyperbandStopsTasksThatFallBehind() throws {
        let dir = makeTemporaryDirectory("sweep-asha")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // noop tasks of 9 epochs, 0.1 s each; their metric ranks them the same at every epoch
        let spec = DistributedRunTests.writeSpec(dir, """
            name: asha
            method: grid
            metric: {name: test_accuracy, goal: maximize}
            parameters:
              model: {value: noop}
              epochs: {value: 9}
              duration_ms: {value: 900}
              seed: {values: [1, 2, 3, 4, 5, 6, 7, 8, 9]}
            early_terminate: {type: hyperband, min_iter: 1, eta: 3}
            """)
        let db = dir + "/asha.db"
        let r = try startSweep(["run", spec, "--workers", "3", "--db", db]).wait(timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        let stopped = Self.count(db, "select count(*) from tasks where status = 'stopped'")
        let completed = Self.count(db, "select count(*) from tasks where status = 'completed'")
        let epochs = Self.count(db, "select sum(json_extract(metrics, '$.epoch')) from tasks")
        let decisions = Self.count(db, "select count(*) from stop_decisions")
        print("hyperband: \(completed) completed, \(stopped) stopped, \(epochs) of \(9 * 9) epochs trained, \(decisions) decisions stored")
        #expect(stopped >= 1 && completed + stopped == 9)
        #expect(epochs < 9 * 9)
        #expect(Self.count(db, "select count(*) from tasks where status = 'stopped' and json_extract(metrics, '$.epoch') >= 9") == 0)
        #expect(decisions >= 9, "every task is judged at rung 1")
        // the leaderboard shows them with their status
        let rows = try DistributedRunTests.leaderboard(db)
        #expect(rows.filter { $0["status"] as? String == "stopped" }.count == stopped)
    }

    @Test func bayesProposesRunCapTasksAndResumes() throws {
        let dir = makeTemporaryDirectory("sweep-bayes")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, """
            name: tpe
            method: bayes
            run_cap: 16
            metric: {name: test_loss, goal: minimize}
            parameters:
              model: {value: noop}
              learning_rate: {distribution: log_uniform_values, min: 1.0e-5, max: 1.0e-1}
              optimizer: {values: [sgd, momentum, adam]}
              momentum: {values: [0.5, 0.9], when: {optimizer: [momentum]}}
            """)
        let db = dir + "/tpe.db"
        let r = try startSweep(["run", spec, "--workers", "2", "--db", db]).wait(timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.count(db, "select count(*) from tasks where status = 'completed'") == 16)
        #expect(Self.count(db, "select count(distinct params) from tasks") == 16)
        let again = try startSweep(["run", spec, "--workers", "2", "--db", db]).wait(timeout: 60)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("16 of 16"), "\(again.stdout)")
        #expect(Self.count(db, "select count(*) from tasks") == 16)
    }
}
