import Foundation
import SweepConfig
import SweepSearch
import SweepStore
import Testing
@testable import SweepReport

/// A sweep of several metrics in the store (issue 18): its leaderboard ranks by the fronts
/// ParetoFront gives its stored tasks, ties and missing values included, and the report
/// draws the front.
@Suite struct ParetoReportTests {
    static let spec = """
        name: mo
        method: random
        run_cap: 40
        metric: [{name: test_accuracy, goal: maximize}, {name: wall_seconds, goal: minimize}]
        parameters:
          model: {value: noop}
          learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
        """

    /// 40 tasks on a coarse grid of values (so many tie), one diverged without an accuracy,
    /// two failed, two still pending.
    static func filled(_ dir: String, spec: String = Self.spec) throws -> (Store, SweepRecord) {
        let store = try Store(path: dir + "/mo.db")
        let tasks = (0..<40).map { i in
            let config = try! TrainConfig(pairs: [("model", "noop"), ("learning_rate", String(0.0001 * Double(i + 1)))])
            return NewTask(id: String(format: "t%02d", i), index: i, params: config.canonical.encoded)
        }
        let sweep = try store.openSweep(name: "mo", spec: spec, metric: "test_accuracy", maximize: true, tasks: tasks)
        var updates: [StoreUpdate] = []
        for (i, t) in tasks.enumerated() where i < 38 {
            let status: TaskStatus = i == 7 ? .diverged : i == 11 || i == 23 ? .failed : i % 9 == 4 ? .stopped : .completed
            let accuracy: JSON = i == 7 ? .null : .double(Double((i * 37) % 10) / 10)
            let metrics = JSON.object([("epoch", .int(1)), ("test_accuracy", accuracy), ("wall_seconds", .double(Double((i * 53) % 7 + 1)))])
            updates.append(.handedOut(sweepID: sweep.id, taskID: t.id, worker: "w1", at: Double(i)))
            updates.append(.finished(sweepID: sweep.id, taskID: t.id, status: status, metrics: status == .failed ? "{}" : metrics.encoded,
                                     error: status == .failed ? "boom" : nil, wallSeconds: 1, worker: "w1", at: Double(i) + 1))
        }
        _ = try store.apply(updates)
        return (store, sweep)
    }

    static func withStore<T>(spec: String = Self.spec, _ body: (Store, SweepRecord) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-pareto-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, sweep) = try filled(dir, spec: spec)
        defer { try? store.close() }
        return try body(store, sweep)
    }

    @Test func theLeaderboardRanksByTheFrontsParetoFrontGivesTheStoredTasks() throws {
        try Self.withStore { store, sweep in
            #expect(sweep.pareto?.objectives == [.init(name: "test_accuracy", maximize: true), .init(name: "wall_seconds", maximize: false)])
            let data = try ReportData.load(store: store, sweep: sweep, insights: false)
            let tasks = try store.tasks(sweepID: sweep.id).filter { $0.status.isFinished && $0.status != .failed }
            let points = tasks.map { t in
                let m = try! JSON.parse(t.metrics!)
                return ["test_accuracy", "wall_seconds"].map { m[$0]?.doubleValue ?? .nan }
            }
            let expected = Dictionary(uniqueKeysWithValues: zip(tasks.map(\.taskID), ParetoFront.ranks(points, maximize: [true, false])))
            #expect(expected.count == 36 && Set(expected.values).count > 3, "several fronts")
            #expect(expected.values.filter { $0 == 1 }.count > 1, "ties share front 1")
            let rows = data.board.rows
            #expect(rows.compactMap { r in r.front.map { (r.task.taskID, $0) } }.allSatisfy { expected[$0.0] == $0.1 })
            #expect(rows.filter { $0.front != nil }.count == 36 && rows.prefix(36).allSatisfy { $0.front != nil })
            #expect(rows.last(where: { $0.front != nil })?.task.taskID == "t07", "the diverged task (no accuracy) ranks last")
            // within a front, the first metric, then the index
            for (a, b) in zip(rows.prefix(36), rows.prefix(36).dropFirst()) {
                let (x, y) = (a.value ?? -.infinity, b.value ?? -.infinity)
                #expect(a.front! < b.front! || (a.front == b.front && (x > y || (x == y && a.task.index < b.task.index))))
            }
            #expect(rows.dropFirst(36).map(\.task.status) == [.failed, .failed, .pending, .pending])
        }
    }

    @Test func theReportDrawsTheFront() throws {
        try Self.withStore { store, sweep in
            let data = try ReportData.load(store: store, sweep: sweep, insights: false)
            let html = HTMLReport(data: data).render(generated: "now")
            let section = try #require(html.components(separatedBy: "<section id=\"pareto\">").dropFirst().first?.components(separatedBy: "</section>").first)
            #expect(html.contains("<li><a href=\"#pareto\">Pareto front</a></li>"))
            let onFront = data.board.rows.count { $0.front == 1 }
            // the diverged task has no accuracy to place: 35 dots
            #expect(section.contains("class=\"series front\" data-label=\"Pareto front\" data-points=\"\(onFront)\""))
            #expect(section.contains("class=\"series dominated\" data-label=\"dominated\" data-points=\"\(35 - onFront)\""))
            #expect(section.contains("\(onFront) tasks are on the Pareto front"))
            #expect(section.contains("every task that finished with metrics (36)") && section.contains("1 without a number for both are left out"))
            #expect(section.components(separatedBy: "<circle class=\"point\"").count - 1 == 35)
            // the step line through the front: each dot of it, and a corner between two
            let line = try #require(section.components(separatedBy: "<polyline class=\"line\" points=\"").dropFirst().first?.prefix { $0 != "\"" })
            #expect(line.split(separator: " ").count == 2 * onFront - 1)
            // the leaderboard shows each task's front
            #expect(html.contains("<th>#</th><th class=\"num\">front</th><th>task</th>"))

            // one metric: no front anywhere
            let single = SweepRecord(id: sweep.id, name: sweep.name, spec: Self.spec.replacingOccurrences(
                of: "[{name: test_accuracy, goal: maximize}, {name: wall_seconds, goal: minimize}]", with: "{name: test_accuracy}"),
                metric: "test_accuracy", maximize: true, createdAt: 0)
            #expect(single.pareto == nil)
            let plain = HTMLReport(data: try ReportData.load(store: store, sweep: single, insights: false)).render(generated: "now")
            #expect(!plain.contains("id=\"pareto\"") && !plain.contains("<th class=\"num\">front</th>"))
        }
    }
}
