import Foundation
import SweepConfig
import SweepStore
import Testing

/// Figures for the coordinator's targets (issue 4): a 100,000-task grid opens
/// in well under two seconds, and `apply` sustains thousands of durable results
/// per second when batched. Printed; the bounds asserted are loose.
@Suite(.serialized) struct StorePerformanceTests {
    @Test func openingA100kTaskSweep() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir + "/sweep.db")
            let template = params([("model", "noop")])
            let tasks = (0..<100_000).map { NewTask(id: String(UInt64($0) &* 0x9E37_79B9_7F4A_7C15, radix: 16), index: $0, params: template) }
            var clock = ContinuousClock.now
            let sweep = try store.openSweep(name: "big", spec: "", metric: "test_accuracy", maximize: true, tasks: tasks)
            let create = ContinuousClock.now - clock
            clock = .now
            _ = try store.openSweep(name: "big", spec: "", metric: "test_accuracy", maximize: true, tasks: tasks)
            let resume = ContinuousClock.now - clock
            clock = .now
            var count = 0
            try store.forEachTask(sweepID: sweep.id) { _ in count += 1 }
            let scan = ContinuousClock.now - clock
            print("store: openSweep 100k tasks \(ms(create)) ms, resume \(ms(resume)) ms, scan \(ms(scan)) ms")
            #expect(count == 100_000)
            #expect(create < .seconds(10) && resume < .seconds(10))  // loose: other suites share the cores
        }
    }

    @Test func rankingA100kTaskSweep() throws {
        let sweep = SweepRecord(id: 1, name: "big", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)
        let configs = (0..<21).map { params([("hidden", String(16 + $0 % 7)), ("seed", String($0 / 7))]) }
        var tasks: [TaskRecord] = []
        for i in 0..<100_000 {
            let config = configs[i % 21]
            let result = metrics(testAccuracy: Double(i % 1000) / 1000, testLoss: 1)
            tasks.append(TaskRecord(sweepID: 1, taskID: String(i), index: i, params: config, status: .completed,
                                    attempts: 1, worker: "w", metrics: result, wallSeconds: 1))
        }
        var clock = ContinuousClock.now
        let board = try Leaderboard(sweep: sweep, tasks: tasks, groupBy: ["hidden"])
        let table = board.render(.table, top: 10)
        let grouped = ContinuousClock.now - clock
        clock = .now
        let json = try Leaderboard(sweep: sweep, tasks: tasks).render(.json)
        print("store: leaderboard over 100k tasks: grouped table \(ms(grouped)) ms, full json \(ms(ContinuousClock.now - clock)) ms")
        #expect(board.groups.count == 7 && board.groups.allSatisfy { $0.n > 14_000 })
        #expect(table.split(separator: "\n").count == 9)
        #expect(json.utf8.count { $0 == UInt8(ascii: "\n") } == 100_002)
    }

    @Test(arguments: [Durability.full, .normal])
    func applyThroughput(durability: Durability) throws {
        try withTemporaryDirectory { dir in
            let template = params([("model", "noop")])
            var figures: [String] = []
            for batch in [1, 10, 100] {
                let store = try Store(path: dir + "/\(batch).db", durability: durability)
                let tasks = (0..<60_000).map { NewTask(id: "t\($0)", index: $0, params: template) }
                let s = try store.openSweep(name: "s", spec: "", metric: "test_accuracy", maximize: true, tasks: tasks).id
                let result = metrics(testAccuracy: 0.5, testLoss: 1)
                let start = ContinuousClock.now
                var next = 0, batches = 0
                while ContinuousClock.now - start < .seconds(1), next + batch <= tasks.count {
                    let updates = tasks[next..<next + batch].map {
                        StoreUpdate.finished(sweepID: s, taskID: $0.id, status: .completed, metrics: result, error: nil,
                                             wallSeconds: 0.01, worker: "w", at: 1)
                    }
                    #expect(try store.apply(updates).allSatisfy { $0 })
                    next += batch
                    batches += 1
                }
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                figures.append(String(format: "batch %3d: %7.0f batches/s %8.0f results/s", batch,
                                      Double(batches) / seconds, Double(next) / seconds))
                #expect(try store.counts(sweepID: s)[.completed] == next)
                try store.close()
            }
            print("store: apply(finished) synchronous=\(durability.rawValue.uppercased())\n  " + figures.joined(separator: "\n  "))
        }
    }

    private func ms(_ d: Duration) -> Int { Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) }
}
