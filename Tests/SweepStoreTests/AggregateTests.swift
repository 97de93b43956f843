import Foundation
import SweepConfig
import SweepRandom
@testable import SweepStore
import Testing

/// The SQL answers of Store+Aggregates (sweep status, leaderboard --top, the live page of a
/// big sweep) against the in-memory Leaderboard they stand in for, on a store with ties,
/// missing values, failed, running and pending tasks.
@Suite struct AggregateTests {
    /// 400 tasks over hidden × seed × (optimizer only on some), finished in every way there
    /// is, with accuracies on a coarse grid so that many tie.
    private func fill(_ store: Store, metric: String = "test_accuracy", maximize: Bool = true) throws -> SweepRecord {
        var rng = SplitMix64(seed: 7)
        let tasks = (0..<400).map { i -> NewTask in
            var pairs = [("hidden", String([8, 16, 32, 64][i % 4])), ("seed", String(i / 4))]
            if i % 3 == 0 { pairs.append(("optimizer", "sgd")) }
            return NewTask(id: String(format: "%016x", rng.next()), index: i, params: params(pairs))
        }
        let sweep = try store.openSweep(name: "demo", spec: "", metric: metric, maximize: maximize, tasks: tasks)
        var updates: [StoreUpdate] = []
        for (i, t) in tasks.enumerated() {
            let roll = Int(rng.next() % 20)
            let accuracy = Double(rng.next() % 12) / 16
            switch roll {
            case 0: continue   // pending
            case 1: updates.append(.handedOut(sweepID: sweep.id, taskID: t.id, worker: "w", at: Double(i)))
            default:
                let status: TaskStatus = roll == 2 ? .failed : roll == 3 ? .diverged : roll == 4 ? .stopped : .completed
                let text = roll == 3 ? metrics(testAccuracy: .nan, testLoss: .nan)
                    : roll == 2 ? "{}" : metrics(testAccuracy: accuracy, testLoss: 1 - accuracy, epoch: roll == 4 ? 1 : 3)
                updates.append(.handedOut(sweepID: sweep.id, taskID: t.id, worker: "w", at: Double(i)))
                updates.append(.finished(sweepID: sweep.id, taskID: t.id, status: status, metrics: text,
                                         error: roll == 2 ? "boom" : nil, wallSeconds: 1, worker: "w", at: Double(i) + 0.5))
            }
        }
        _ = try store.apply(updates)
        return sweep
    }

    @Test(arguments: [("test_accuracy", true), ("test_loss", false)])
    func rankedPagesFollowTheLeaderboard(metric: String, maximize: Bool) throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/s.db")
            let sweep = try fill(store, metric: metric, maximize: maximize)
            let full = try Leaderboard(sweep: sweep, tasks: store.tasks(sweepID: sweep.id))
            let order = full.rows.map(\.task.taskID)
            #expect(Set(full.rows.map(\.task.status)).count == 6)   // every status is there
            var paged: [String] = []
            for page in 0..<9 {   // 50 a page, past the end
                paged += try store.leading(sweepID: sweep.id, metric: metric, maximize: maximize, limit: 50, offset: page * 50).map(\.taskID)
            }
            #expect(paged == order)
            #expect(try store.rankedCount(sweepID: sweep.id, metric: metric) == full.rows.count { $0.rank != nil })

            // a page as a partial board: the same ranks, names and best row as the full one
            let page = try store.leading(sweepID: sweep.id, metric: metric, maximize: maximize, limit: 20, offset: 40)
            let partial = try Leaderboard(sweep: sweep, leading: page, taskCount: full.taskCount, finishedCount: full.finishedCount,
                                          varyingParams: full.varyingParams, firstRank: 41)
            #expect(partial.rows.map(\.rank) == Array(full.rows[40..<60]).map(\.rank))
            #expect(partial.render(.table, top: 20).split(separator: "\n").first == full.render(.table, top: 20).split(separator: "\n").first)
        }
    }

    @Test func theMetricIndexIsUsedAndAnOldStoreWithoutItAnswersTheSame() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/s.db")
            let sweep = try fill(store)
            let withIndex = try store.leading(sweepID: sweep.id, metric: "test_accuracy", maximize: true, limit: 30)
            try store.close()
            // a store from before the index: the same answer from a scan
            let raw = try Store(path: dir + "/s.db")
            try raw.dropMetricIndexForTesting("test_accuracy")
            let scanned = try raw.leading(sweepID: sweep.id, metric: "test_accuracy", maximize: true, limit: 30)
            #expect(scanned.map(\.taskID) == withIndex.map(\.taskID))
            #expect(try raw.queryPlanForTesting(metric: "test_accuracy").contains("tasks_by_metric_test_accuracy") == false)
            try raw.close()
            // opening the sweep again (a resumed run) creates it
            let resumed = try Store(path: dir + "/s.db")
            _ = try resumed.openSweep(name: "demo", spec: "", metric: "test_accuracy", maximize: true, tasks: [])
            let plan = try resumed.queryPlanForTesting(metric: "test_accuracy")
            #expect(plan.contains("tasks_by_metric_test_accuracy"), "\(plan)")
        }
    }

    @Test func variesAgreesWithTheLeaderboardsVaryingParameters() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/s.db")
            let sweep = try fill(store)
            let full = try Leaderboard(sweep: sweep, tasks: store.tasks(sweepID: sweep.id))
            #expect(Set(full.varyingParams) == ["optimizer", "hidden", "seed"])
            for name in full.paramNames {
                #expect(try store.varies(sweepID: sweep.id, parameter: name) == full.varyingParams.contains(name), "\(name)")
            }
            #expect(try store.varies(sweepID: sweep.id, parameter: "no_such_key") == false)
        }
    }

    @Test func groupsAgreeWithTheLeaderboardsGroups() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/s.db")
            let sweep = try fill(store)
            let metricNames = ["test_accuracy", "test_loss", "train_loss"]
            for by in [["hidden"], ["hidden", "optimizer"], ["optimizer", "seed"]] {
                let full = try Leaderboard(sweep: sweep, tasks: store.tasks(sweepID: sweep.id), groupBy: by)
                let sql = Leaderboard.groups(try store.groups(sweepID: sweep.id, by: by, metrics: metricNames), by: by,
                                             metrics: metricNames, sortMetric: sweep.metric, maximize: sweep.maximize)
                #expect(sql.map(\.rank) == full.groups.map(\.rank), "\(by)")
                #expect(sql.map { $0.values.map(\.1.encoded) } == full.groups.map { $0.values.map(\.1.encoded) }, "\(by)")
                #expect(sql.map(\.n) == full.groups.map(\.n), "\(by)")
                for (a, b) in zip(sql, full.groups) {
                    for m in metricNames {
                        #expect(abs((a.mean(m) ?? -9) - (b.mean(m) ?? -9)) < 1e-12, "\(by) \(m)")
                        #expect(abs((a.std(m) ?? -9) - (b.std(m) ?? -9)) < 1e-9, "\(by) \(m)")
                    }
                }
            }
        }
    }

    @Test func aSampleIsEvenStableAndOnlyFinishedWhenAsked() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/s.db")
            let sweep = try fill(store)
            let all = try store.sample(sweepID: sweep.id, from: 400, limit: 100)
            #expect(all.map(\.index) == Array(stride(from: 0, to: 400, by: 4)))
            #expect(try store.sample(sweepID: sweep.id, from: 400, limit: 100).map(\.taskID) == all.map(\.taskID))
            let finished = try store.sample(sweepID: sweep.id, from: 400, limit: 100, finishedOnly: true)
            #expect(!finished.isEmpty && finished.allSatisfy { [.completed, .stopped, .diverged].contains($0.status) })
            let times = try store.times(sweepID: sweep.id, recent: 5)
            #expect(times.recent.count == 5 && times.recent == times.recent.sorted())
            let tasks = try store.tasks(sweepID: sweep.id)
            #expect(times.firstStart == tasks.compactMap(\.startedAt).min())
            #expect(times.lastFinish == tasks.compactMap(\.finishedAt).max())
            #expect(times.recent == Array(tasks.compactMap(\.finishedAt).sorted().suffix(5)))
        }
    }
}
