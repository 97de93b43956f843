import Foundation
import SweepConfig
import SweepStore
import Testing

/// The leaderboard of a sweep with several metrics (issue 18): ranked by Pareto front,
/// then by the first metric, then by index, with a `front` column and field. The sorting
/// is passed in (SweepSearch's `ParetoFront` in the product; a brute-force one here, which
/// SweepReportTests checks against it on stored tasks).
@Suite struct ParetoLeaderboardTests {
    static let sweep = SweepRecord(id: 1, name: "mo", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)

    static let pareto = Leaderboard.Pareto(
        objectives: [.init(name: "test_accuracy", maximize: true), .init(name: "wall_seconds", maximize: false)],
        fronts: bruteForceFronts)

    /// Peels fronts by comparing every pair: a point whose objectives hold a NaN comes after
    /// all that hold none, and among those NaN is the worst value.
    static func bruteForceFronts(_ points: [[Double]], _ maximize: [Bool]) -> [Int] {
        func loss(_ p: [Double]) -> [Double] { zip(p, maximize).map { $0.isNaN ? .infinity : ($1 ? -$0 : $0) } }
        func dominates(_ a: Int, _ b: Int) -> Bool {
            let (x, y) = (loss(points[a]), loss(points[b]))
            return zip(x, y).allSatisfy { $0 <= $1 } && zip(x, y).contains { $0 < $1 }
        }
        var fronts = [Int](repeating: 0, count: points.count)
        var offset = 0
        for group in [points.indices.filter { !points[$0].contains(where: \.isNaN) }, points.indices.filter { points[$0].contains(where: \.isNaN) }] {
            var left = group, front = 0
            while !left.isEmpty {
                front += 1
                let current = left.filter { i in !left.contains { dominates($0, i) } }
                for i in current { fronts[i] = offset + front }
                left.removeAll { current.contains($0) }
            }
            offset += front
        }
        return fronts
    }

    static func task(_ id: String, _ index: Int, _ status: TaskStatus, _ accuracy: Double? = nil, _ seconds: Double? = nil) -> TaskRecord {
        var m: [(String, JSON)] = [("epoch", .int(1)), ("test_loss", .double(0.5))]
        m.append(("test_accuracy", accuracy.map { $0.isNaN ? .null : .double($0) } ?? .null))
        if let seconds { m.append(("wall_seconds", .double(seconds))) }
        return TaskRecord(sweepID: 1, taskID: id, index: index, params: params([("seed", String(index))]), status: status,
                          attempts: status == .pending ? 0 : 1, metrics: status.isFinished && status != .failed ? JSON.object(m).encoded : nil,
                          wallSeconds: status.isFinished ? 1 : nil)
    }

    /// Front 1: a and c (equal), b and i (equal, i stopped), e (the fastest); d is dominated
    /// by a; f diverged (no accuracy) comes after every task with all its values.
    static let tasks = [
        task("a", 0, .completed, 0.9, 10), task("b", 1, .completed, 0.8, 5), task("c", 2, .completed, 0.9, 10),
        task("d", 3, .completed, 0.85, 12), task("e", 4, .completed, 0.7, 4), task("f", 5, .diverged, .nan, 1),
        task("g", 6, .failed), task("h", 7, .pending), task("i", 8, .stopped, 0.8, 5),
    ]

    @Test func ranksByFrontThenTheFirstMetricThenIndex() throws {
        let board = try Leaderboard(sweep: Self.sweep, tasks: Self.tasks, pareto: Self.pareto)
        #expect(board.rows.map(\.task.taskID) == ["a", "c", "b", "i", "e", "d", "f", "g", "h"])
        #expect(board.rows.map(\.front) == [1, 1, 1, 1, 1, 2, 3, nil, nil])
        #expect(board.rows.map(\.rank) == [1, 2, 3, 4, 5, 6, 7, nil, nil])
        #expect(board.best?.task.taskID == "a")
        // the sorting sees each finished task's values, NaN where one is missing
        #expect(board.rows.map(\.value) == [0.9, 0.9, 0.8, 0.8, 0.7, 0.85, nil, nil, nil])
    }

    @Test func oneMetricOrSortRankAsBefore() throws {
        let plain = try Leaderboard(sweep: Self.sweep, tasks: Self.tasks)
        #expect(plain.pareto == nil && plain.rows.allSatisfy { $0.front == nil })
        #expect(plain.rows.map(\.task.taskID) == ["a", "c", "d", "b", "i", "e", "f", "g", "h"])
        let sorted = try Leaderboard(sweep: Self.sweep, tasks: Self.tasks, sort: "wall_seconds", pareto: Self.pareto)
        #expect(sorted.pareto == nil, "--sort ranks by that metric alone")
        #expect(!sorted.maximize && sorted.rows.prefix(3).map(\.task.taskID) == ["f", "e", "b"], "in its goal: wall_seconds minimized")
        #expect(!sorted.render(.json).contains("\"front\""))
        // a list of one metric is no Pareto ranking either
        let one = Leaderboard.Pareto(objectives: [Self.pareto.objectives[0]], fronts: Self.bruteForceFronts)
        #expect(try Leaderboard(sweep: Self.sweep, tasks: Self.tasks, pareto: one).render(.table) == plain.render(.table))
    }

    @Test func jsonAndCSVCarryTheFront() throws {
        let board = try Leaderboard(sweep: Self.sweep, tasks: Self.tasks, pareto: Self.pareto)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(board.render(.json).utf8)) as? [[String: Any]])
        #expect(rows.map { $0["front"] as? Int } == [1, 1, 1, 1, 1, 2, 3, nil, nil])
        #expect(rows.map { $0["task_id"] as? String } == ["a", "c", "b", "i", "e", "d", "f", "g", "h"])
        #expect(board.render(.json).hasPrefix("[\n{\"rank\":1,\"front\":1,\"task_id\":\"a\","))
        #expect(board.render(.json).contains("{\"rank\":null,\"front\":null,\"task_id\":\"g\","))
        let csv = board.render(.csv).split(separator: "\n").map(String.init)
        #expect(csv[0].hasPrefix("rank,front,task_id,status,dataset,"))
        #expect(csv[1].hasPrefix("1,1,a,completed,") && csv[6].hasPrefix("6,2,d,completed,") && csv[8].hasPrefix(",,g,failed,"))
    }

    @Test func theTableShowsTheFrontAndEachObjective() throws {
        let out = try Leaderboard(sweep: Self.sweep, tasks: Self.tasks, pareto: Self.pareto).render(.table, top: 3)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines[0] == "mo: 8 of 9 tasks finished; best first by Pareto front over test_accuracy (higher is better), "
                + "wall_seconds (lower is better), then by test_accuracy; top 3 of 9 shown")
        #expect(lines[1].split(separator: " ") == ["rank", "front", "task", "status", "seed", "test_accuracy", "wall_seconds", "test_loss"])
        #expect(lines[2].split(separator: " ") == ["1", "1", "a", "completed", "0", "0.9000", "10.0", "0.5000"])
        #expect(lines.count == 5)
        let markdown = try Leaderboard(sweep: Self.sweep, tasks: Self.tasks, pareto: Self.pareto).render(.markdown, top: 1)
        #expect(markdown.hasPrefix("| rank | front | task | status |"))
    }

    @Test func statusNamesTheFrontAndItsBestByTheFirstMetric() {
        let sweep = SweepRecord(id: 1, name: "mo", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)
        let lines = StatusReport.render(sweep: sweep, tasks: Self.tasks, pareto: Self.pareto).split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("mo  (metrics test_accuracy maximize, wall_seconds minimize; created 1970-01-01T00:00:00Z"))
        #expect(lines[1] == "  9 tasks: 1 pending, 0 running, 5 completed, 1 failed, 1 diverged, 1 stopped")
        #expect(lines[2] == "  Pareto front: 5 of the 7 tasks with metrics (not dominated)")
        #expect(lines[3] == "  best test_accuracy 0.9000 on the front  task a  seed=0  (wall_seconds 10.0)")
        // one metric: as before
        let plain = StatusReport.render(sweep: sweep, tasks: Self.tasks).split(separator: "\n").map(String.init)
        #expect(plain[0].hasPrefix("mo  (metric test_accuracy, maximize;") && plain[2] == "  best test_accuracy 0.9000  task a  seed=0")
    }
}
