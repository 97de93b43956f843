import Foundation
import SweepConfig
import SweepReport
import SweepStore
import Testing

/// `sweep status` and `sweep leaderboard --top` of a sweep too big to load (SweepOverview:
/// SQL, an index and an even sample) say exactly what the full load says.
@Suite struct SweepOverviewTests {
    /// 2,500 tasks: over the overview's sample size, so it samples every 2nd task, and
    /// `dropout` alternates task by task, so the sample alone would call it constant.
    static let spec = """
        name: big
        method: grid
        parameters:
          model: {value: noop}
          hidden: {values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]}
          seed: {values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]}
          dropout: {values: [0.0, 0.5]}
        """

    private func filled(_ dir: String) throws -> (Store, SweepRecord) {
        let store = try Store(path: dir + "/big.db")
        let tasks = (0..<2500).map { i in
            let config = try! TrainConfig(pairs: [("model", "noop"), ("hidden", String(i / 100 + 1)), ("seed", String(i / 2 % 50 + 1)),
                                                  ("dropout", i % 2 == 0 ? "0.0" : "0.5")])
            return NewTask(id: String(format: "t%05d", i), index: i, params: config.canonical.encoded)
        }
        let sweep = try store.openSweep(name: "big", spec: Self.spec, metric: "test_accuracy", maximize: true, tasks: tasks)
        var updates: [StoreUpdate] = []
        for (i, t) in tasks.enumerated() where i % 7 != 3 {   // some pending, one failed in a hundred
            let accuracy = Double((i * 7919) % 1000) / 1000
            updates.append(.handedOut(sweepID: sweep.id, taskID: t.id, worker: "w1", at: Double(i)))
            updates.append(.attemptStarted(sweepID: sweep.id, taskID: t.id, attempts: 1))
            let failed = i % 100 == 50
            let metrics = JSON.object([("epoch", .int(1)), ("test_accuracy", failed ? .null : .double(accuracy)),
                                       ("test_loss", .double(1 - accuracy)), ("train_loss", .double(0.5)), ("wall_seconds", .double(0.1))])
            updates.append(.finished(sweepID: sweep.id, taskID: t.id, status: failed ? .failed : .completed, metrics: metrics.encoded,
                                     error: failed ? "boom \(i)" : nil, wallSeconds: 0.1, worker: "w1", at: Double(i) + 1))
        }
        _ = try store.apply(updates)
        return (store, sweep)
    }

    @Test func statusAndTopFiveSayWhatTheFullLoadSays() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-overview-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, sweep) = try filled(dir)
        let tasks = try store.tasks(sweepID: sweep.id)
        let full = try Leaderboard(sweep: sweep, tasks: tasks)
        #expect(full.varyingParams.sorted() == ["dropout", "hidden", "seed"])

        let overview = try SweepOverview(store: store, sweep: sweep)
        #expect(overview.varyingParams == full.varyingParams)   // dropout found by the store, not the sample
        #expect(overview.taskCount == 2500 && overview.finishedCount == full.finishedCount)

        for format in Leaderboard.Format.allCases {
            #expect(try overview.leaderboard(store: store, limit: 5).render(format, top: 5) == full.render(format, top: 5), "\(format)")
        }
        #expect(try overview.leaderboard(store: store, limit: 3, sort: "test_loss").render(.table, top: 3)
                == (try Leaderboard(sweep: sweep, tasks: tasks, sort: "test_loss")).render(.table, top: 3))

        let unsaved = ["t00010": "weights/x.safetensors: disk full"]
        let now = 1_000_000.0
        let expected = StatusReport.render(sweep: sweep, tasks: tasks, unsavedWeights: unsaved, now: now)
        let fromSQL = StatusReport.render(
            sweep: sweep, counts: overview.counts, best: try overview.leaderboard(store: store, limit: 1).best,
            varyingParams: overview.varyingParams, failed: try store.tasks(sweepID: sweep.id, status: .failed),
            unsaved: try store.tasks(sweepID: sweep.id, ids: Array(unsaved.keys)), unsavedWeights: unsaved, workers: [], now: now)
        #expect(fromSQL == expected)
        #expect(expected.contains("failed t00050 after 1 attempt: boom 50"))
    }
}
