import Foundation
import Testing
import TestSupport

/// Issue 18 end to end, on the real `sweep` binary: a two-objective bayes sweep runs and
/// its leaderboard, status, report and live page rank and draw its tasks by Pareto front;
/// `--warm-start` seeds a bayes sweep with another store's finished tasks.
@Suite(.serialized) struct MultiObjectiveRunTests {
    /// noop tasks: test_loss is the bowl over the learning rate, wall_seconds follows duration_ms.
    static let twoMetrics = """
        name: mo
        method: bayes
        run_cap: 24
        seed: 3
        metric: [{name: test_loss, goal: minimize}, {name: wall_seconds, goal: minimize}]
        parameters:
          model: {value: noop}
          learning_rate: {distribution: log_uniform_values, min: 1.0e-5, max: 1.0}
          optimizer: {values: [sgd, adam]}
          duration_ms: {values: [0, 20, 40]}
        """

    /// Fronts by comparing every pair of (test_loss, wall_seconds), both minimized.
    static func fronts(_ points: [[Double]]) -> [Int] {
        func dominates(_ a: [Double], _ b: [Double]) -> Bool { zip(a, b).allSatisfy { $0 <= $1 } && zip(a, b).contains { $0 < $1 } }
        var fronts = [Int](repeating: 0, count: points.count)
        var left = Array(points.indices), front = 0
        while !left.isEmpty {
            front += 1
            let current = left.filter { i in !left.contains { dominates(points[$0], points[i]) } }
            for i in current { fronts[i] = front }
            left.removeAll { current.contains($0) }
        }
        return fronts
    }

    @Test func aTwoObjectiveSweepIsRankedAndDrawnByFront() throws {
        let dir = makeTemporaryDirectory("sweep-mo")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, Self.twoMetrics)
        let db = dir + "/mo.db"
        let r = try startSweep(["run", spec, "--workers", "2", "--db", db, "--http", "off"]).wait(timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\nmo: 24 of 24 tasks finished; best first by Pareto front over test_loss (lower is better), "
                                   + "wall_seconds (lower is better), then by test_loss; top 10 of 24 shown\nrank  front  task"), "\(r.stdout)")

        // json: every task with its front, which is that of its stored metrics
        let rows = try DistributedRunTests.leaderboard(db)
        #expect(rows.count == 24)
        let points = rows.map { row -> [Double] in
            let m = row["metrics"] as? [String: Any] ?? [:]
            return [(m["test_loss"] as? Double) ?? .nan, (m["wall_seconds"] as? Double) ?? .nan]
        }
        #expect(points.allSatisfy { !$0.contains(where: \.isNaN) })
        let expected = Self.fronts(points)
        #expect(rows.map { $0["front"] as? Int } == expected.map { Optional($0) })
        #expect(rows.map { $0["rank"] as? Int } == (1...24).map { Optional($0) })
        #expect(expected == expected.sorted(), "ranked front by front")
        #expect(expected.contains(1) && expected.contains(2))

        // csv, --top (the full load, not the single-metric SQL path) and status
        let csv = try runSweep(["leaderboard", "--db", db, "--format", "csv", "--top", "3"])
        #expect(csv.status == 0 && csv.stdout.hasPrefix("rank,front,task_id,status,"), "\(csv.stdout.prefix(200))")
        #expect(csv.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").prefix(3).joined(separator: ",") }
                == rows.prefix(3).map { "\($0["rank"]!),\($0["front"]!),\($0["task_id"]!)" })
        let status = try runSweep(["status", "--db", db])
        let onFront = expected.count { $0 == 1 }
        #expect(status.stdout.contains("(metrics test_loss minimize, wall_seconds minimize; created"))
        #expect(status.stdout.contains("  Pareto front: \(onFront) of the 24 tasks with metrics (not dominated)\n"), "\(status.stdout)")
        #expect(status.stdout.contains("  best test_loss \(String(format: "%.4f", points[0][0])) on the front  task \(rows[0]["task_id"]!)"))

        // the report's section
        let report = try runSweep(["report", "--db", db, "--out", dir + "/mo.html"])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOfFile: dir + "/mo.html", encoding: .utf8)
        #expect(html.contains("<section id=\"pareto\">\n<h2>Pareto front</h2>"))
        #expect(html.contains("data-label=\"Pareto front\" data-points=\"\(onFront)\"") && html.contains("data-label=\"dominated\" data-points=\"\(24 - onFront)\""))

        // the live page (the dashboard over the store): the section shown, with the same counts
        let processes = TestProcesses()
        defer { processes.endAll() }
        let dashboard = try processes.sweep(["dashboard", "--db", db])
        let url = try LivePageTests.pageURL(dashboard)
        let page = try LivePageTests.get(url)
        #expect(page.status == 200)
        #expect(page.body.contains("<section id=\"section-pareto\">\n<h2>Pareto front</h2>"), "not hidden")
        #expect(page.body.contains("<li id=\"nav-pareto\"><a href=\"#pareto\">"))
        #expect(page.body.contains("data-label=\"Pareto front\" data-points=\"\(onFront)\""))
        #expect(page.body.contains("every task that finished with metrics (24)"))
        // a page of the leaderboard from the server is ranked by front too
        let served = try LivePageTests.get(url + "api/leaderboard?page=1").body
        #expect(served.contains("<th>#</th><th class=\"num\">front</th><th>task</th>"))
        let order = served.components(separatedBy: "href=\"task/").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(order == rows.map { $0["task_id"] as? String ?? "" })
    }

    /// Above 2,000 tasks the live page draws the front of its even sample, and says so; a
    /// sweep of one metric has the section hidden.
    @Test func aBigSweepsPageDrawsTheFrontOfASample() throws {
        let dir = makeTemporaryDirectory("sweep-mo-big")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/big.db"
        let big = DistributedRunTests.writeSpec(dir, """
            name: big
            method: grid
            metric: [{name: test_loss, goal: minimize}, {name: wall_seconds, goal: minimize}]
            parameters:
              model: {value: noop}
              learning_rate: {values: [0.1, 0.01, 0.001, 0.0001, 0.00001, 0.003, 0.0003]}
              optimizer: {values: [sgd, adam, rmsprop]}
              seed: {min: 1, max: 100}
            """, name: "big.yaml")
        #expect(try startSweep(["run", big, "--workers", "2", "--db", db, "--http", "off"]).wait(timeout: 120).status == 0)
        let one = DistributedRunTests.writeSpec(dir, Self.bowl(name: "one", seed: 1, method: "random", runCap: 3), name: "one.yaml")
        #expect(try startSweep(["run", one, "--workers", "1", "--db", db, "--http", "off"]).wait(timeout: 60).status == 0)
        let processes = TestProcesses()
        defer { processes.endAll() }
        let page = try LivePageTests.get(try LivePageTests.pageURL(try processes.sweep(["dashboard", "--db", db, "--sweep", "big"])))
        #expect(page.body.contains("<section id=\"section-pareto\">"))
        #expect(page.body.contains("for an even sample of 1050 of the 2100 finished tasks (every k-th by index), ranked among themselves: "
                                   + "the front of the sample, not of the whole sweep."), "\(page.body.prefix(300))")
        #expect(page.body.contains("data-label=\"dominated\" data-points=\""))
        let single = try LivePageTests.get(try LivePageTests.pageURL(try processes.sweep(["dashboard", "--db", db, "--sweep", "one"])))
        #expect(single.body.contains("<li id=\"nav-pareto\" hidden>") && single.body.contains("<section id=\"section-pareto\" hidden>"))
        #expect(!single.body.contains("data-kind=\"pareto\""))
    }

    static func bowl(name: String, seed: Int, method: String = "bayes", runCap: Int = 20) -> String {
        """
        name: \(name)
        method: \(method)
        run_cap: \(runCap)
        seed: \(seed)
        metric: {name: test_loss, goal: minimize}
        parameters:
          model: {value: noop}
          learning_rate: {distribution: log_uniform_values, min: 1.0e-5, max: 1.0}
          optimizer: {values: [sgd, momentum, rmsprop, adam]}
        """
    }

    static func taskIDs(_ db: String) -> [String] { storeRowsIfAny(db, "select task_id from tasks order by idx").map { $0[0] } }

    @Test func aWarmStartSeedsTheSearchWithAnotherStoresTasks() throws {
        let dir = makeTemporaryDirectory("sweep-warm")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = dir + "/old.db"
        let first = try startSweep(["run", DistributedRunTests.writeSpec(dir, Self.bowl(name: "old", seed: 11), name: "old.yaml"),
                                    "--workers", "2", "--db", old, "--http", "off"]).wait(timeout: 120)
        #expect(first.status == 0, "\(first.stderr)")

        // a new sweep seeded by it: the line, then its own 20 tasks, proposed by TPE from the first
        let spec = DistributedRunTests.writeSpec(dir, Self.bowl(name: "new", seed: 12), name: "new.yaml")
        let db = dir + "/new.db"
        let run = try startSweep(["run", spec, "--workers", "2", "--db", db, "--warm-start", old, "--http", "off"]).wait(timeout: 120)
        #expect(run.status == 0, "\(run.stderr)")
        let line = "sweep: warm start: 20 of the 20 finished task(s) of \(old) fit this spec and seed its search\n"
        #expect(run.stderr.contains(line), "\(run.stderr)")
        #expect(SearchRunTests.count(db, "select count(*) from tasks") == 20, "the old tasks are not this sweep's")
        #expect(SearchRunTests.count(db, "select count(*) from sweeps") == 1)
        #expect(Set(Self.taskIDs(db)).isDisjoint(with: Self.taskIDs(old)), "no old configuration is run again")
        #expect(try DistributedRunTests.leaderboard(db).count == 20)
        let expand = try runSweep(["expand", spec, "--format", "json"])
        let draws = (try JSONSerialization.jsonObject(with: Data(expand.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["task_id"] as? String }
        #expect(Self.taskIDs(db).first != draws.first, "without a warm start the first task is the first random draw")

        // the same command resumes: the old store read again, nothing run
        let again = try startSweep(["run", spec, "--workers", "2", "--db", db, "--warm-start", old, "--http", "off"]).wait(timeout: 60)
        #expect(again.status == 0 && again.stderr.contains(line) && again.stdout.contains("20 of 20"), "\(again.stderr)")
        #expect(SearchRunTests.count(db, "select count(*) from tasks") == 20)

        // without it, the same spec starts with its random draws
        let cold = dir + "/cold.db"
        #expect(try startSweep(["run", spec, "--workers", "2", "--db", cold, "--http", "off"]).wait(timeout: 120).status == 0)
        #expect(Self.taskIDs(cold).first == draws.first)
        let oldBest = Double(storeValue(old, "select min(json_extract(metrics, '$.test_loss')) from tasks")) ?? .nan
        func reached(_ db: String) -> Int? {
            let losses = storeRowsIfAny(db, "select json_extract(metrics, '$.test_loss') from tasks order by idx").compactMap { Double($0[0]) }
            return losses.firstIndex { $0 <= oldBest }.map { $0 + 1 }
        }
        print("warm start end to end: the old sweep's best test_loss \(oldBest) (20 tasks) reached after "
              + "\(reached(db).map(String.init) ?? "more than 20") task(s) warm-started, \(reached(cold).map(String.init) ?? "more than 20") without")
    }

    @Test func warmStartErrorsAndOtherMethods() throws {
        let dir = makeTemporaryDirectory("sweep-warm-errors")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = DistributedRunTests.writeSpec(dir, Self.bowl(name: "b", seed: 1, runCap: 4))
        let db = dir + "/b.db"
        func run(_ extra: [String], _ spec: String = spec) throws -> CommandResult {
            try startSweep(["run", spec, "--workers", "1", "--db", db, "--http", "off"] + extra).wait(timeout: 60)
        }
        let missing = try run(["--warm-start", dir + "/missing.db"])
        #expect(missing.status == 2 && missing.stderr == "sweep: --warm-start: \(dir)/missing.db: no such file\n", "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db), "nothing created before the warm start is read")
        try "not a database".write(toFile: dir + "/junk.db", atomically: true, encoding: .utf8)
        let junk = try run(["--warm-start", dir + "/junk.db"])
        #expect(junk.status == 2 && junk.stderr.hasPrefix("sweep: --warm-start: \(dir)/junk.db: ") && junk.stderr.split(separator: "\n").count == 1,
                "\(junk.stderr)")
        // a store whose only sweep is the one being run
        #expect(try run([]).status == 0)
        let itself = try run(["--warm-start", db])
        #expect(itself.status == 2 && itself.stderr == "sweep: --warm-start: \(db) holds no sweep but 'b', the one being run\n", "\(itself.stderr)")
        // another method: one line says it changes nothing, and the sweep runs
        let random = DistributedRunTests.writeSpec(dir, Self.bowl(name: "r", seed: 1, method: "random", runCap: 4), name: "random.yaml")
        let r = try run(["--warm-start", db], random)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("sweep: warning: --warm-start only affects method: bayes; \(random) is method random, which ignores it\n"))
        let coordinator = try runSweep(["coordinator", "--help"])
        #expect(coordinator.stdout.contains("--warm-start <warm-start>"))
    }
}
