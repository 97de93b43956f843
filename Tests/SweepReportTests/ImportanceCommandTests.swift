import Foundation
import Testing
import SweepConfig
import TestSupport

/// `sweep leaderboard --importance` and the report's section, on the real binary and
/// store: a random sweep of noop tasks whose metric (SyntheticObjective) follows the
/// learning rate and the optimizer, and not `hidden`, which noop ignores.
@Suite(.serialized) struct ImportanceCommandTests {
    static let spec = """
        name: importance
        method: random
        run_cap: 60
        metric: {name: test_loss, goal: minimize}
        parameters:
          model: {value: noop}
          learning_rate: {distribution: log_uniform_values, min: 1.0e-5, max: 1.0e-1}
          optimizer: {values: [sgd, momentum, adam]}
          hidden: {values: [16, 32, 64]}
          momentum: {distribution: uniform, min: 0.5, max: 0.99, when: {optimizer: [momentum]}}
        """

    /// A store holding `spec`, run to the end in `dir`.
    static func run(_ spec: String, in dir: String) throws -> String {
        try spec.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let r = try runSweep(["run", "spec.yaml", "--db", "sweep.db", "--workers", "2"], directory: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return dir + "/sweep.db"
    }

    @Test func importanceInEveryFormat() throws {
        let dir = makeTemporaryDirectory("sweep-importance")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Self.run(Self.spec, in: dir)

        let table = try runSweep(["leaderboard", "--db", db, "--importance"])
        #expect(table.status == 0 && table.stderr.isEmpty, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "importance: parameter importance for test_loss (lower is better) over 60 completed tasks, by PED-ANOVA")
        #expect(lines.count == 2 + 4, "\(table.stdout)")
        #expect(lines[1].split(separator: " ", omittingEmptySubsequences: true) == ["parameter", "importance"])
        #expect(lines[2].hasPrefix("learning_rate "), "the metric is a bowl over log10 of the learning rate: \(table.stdout)")

        let json = try JSON.parse(try runSweep(["leaderboard", "--db", db, "--importance", "--format", "json"]).stdout)
        guard case .array(let objects) = json else { Issue.record("not an array: \(json)"); return }
        #expect(objects.map { $0.objectFields?.map(\.0) ?? [] } == Array(repeating: ["parameter", "importance"], count: 4))
        let names = objects.compactMap { $0["parameter"]?.stringValue }
        let values = objects.compactMap { $0["importance"]?.doubleValue }
        #expect(Set(names) == ["learning_rate", "optimizer", "hidden", "momentum"], "model, a constant, is left out")
        #expect(names.first == "learning_rate" && values[0] > 0.5, "\(json)")
        #expect(values == values.sorted(by: >) && abs(values.reduce(0, +) - 1) < 1e-12)
        // the table shows the same ranking, to 4 decimals
        #expect(lines.dropFirst(2).map { String($0.prefix { $0 != " " }) } == names)
        #expect(lines[2].hasSuffix(String(format: "%.4f", values[0])))

        let csv = try runSweep(["leaderboard", "--db", db, "--importance", "--format", "csv", "--top", "2"])
        #expect(csv.stdout == "parameter,importance\n" + zip(names, values).prefix(2).map { "\($0),\(JSON.double($1).encoded)\n" }.joined())
        let markdown = try runSweep(["leaderboard", "--db", db, "--importance", "--format", "markdown"]).stdout
        #expect(markdown.hasPrefix("| parameter | importance |\n| --- | ---: |\n| learning_rate | "), "\(markdown)")

        // the report draws the same bars after the scatter plots
        let report = try runSweep(["report", "--db", db, "--out", dir + "/r.html"])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        let section = try #require(html.components(separatedBy: "<section id=\"importance\">").dropFirst().first)
        let bars = section.components(separatedBy: "<g class=\"bar\" data-label=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(bars == names)
        #expect(html.contains("<a href=\"#importance\">Parameter importance</a>"))
    }

    /// Too few completed tasks, or no parameter that varies: one line saying so, exit 0;
    /// for csv and json, the empty table on stdout and the line on stderr.
    @Test func withoutImportancesOneLineSaysWhy() throws {
        let dir = makeTemporaryDirectory("sweep-importance")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Self.run(Self.spec.replacingOccurrences(of: "run_cap: 60", with: "run_cap: 1"), in: dir)
        let needed = "parameter importance needs at least 2 completed tasks with a value of test_loss; sweep 'importance' has 1"
        let table = try runSweep(["leaderboard", "--db", db, "--importance"])
        #expect(table.status == 0 && table.stdout == needed + "\n" && table.stderr.isEmpty, "\(table.stdout)\(table.stderr)")
        let json = try runSweep(["leaderboard", "--db", db, "--importance", "--format", "json"])
        #expect(json.status == 0 && json.stdout == "[]\n" && json.stderr == "sweep: " + needed + "\n", "\(json.stderr)")
        let csv = try runSweep(["leaderboard", "--db", db, "--importance", "--format", "csv"])
        #expect(csv.status == 0 && csv.stdout == "parameter,importance\n" && csv.stderr == "sweep: " + needed + "\n")
        let report = try runSweep(["report", "--db", db, "--out", dir + "/r.html"])
        #expect(report.status == 0)
        #expect(try String(contentsOfFile: dir + "/r.html", encoding: .utf8).contains("<p class=\"note\">P" + needed.dropFirst().replacingOccurrences(of: "'", with: "&#39;") + ".</p>"))

        let constant = makeTemporaryDirectory("sweep-importance")
        defer { try? FileManager.default.removeItem(atPath: constant) }
        let fixed = try Self.run("name: fixed\nmethod: grid\nparameters:\n  model: {value: noop}\n  seed: {values: [1]}\n", in: constant)
        let none = try runSweep(["leaderboard", "--db", fixed, "--importance"])
        #expect(none.status == 0 && none.stdout == "parameter importance: no parameter of sweep 'fixed' takes more than one value\n", "\(none.stdout)")
    }

    @Test func badUseExitsTwoWithOneLine() throws {
        let dir = makeTemporaryDirectory("sweep-importance")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Self.run(Self.spec.replacingOccurrences(of: "run_cap: 60", with: "run_cap: 3"), in: dir)
        for (extra, culprit) in [(["--sort", "test_accuracy"], "--sort"), (["--group-by", "optimizer"], "--group-by"),
                                 (["--curves"], "--curves")] {
            let r = try runSweep(["leaderboard", "--db", db, "--importance"] + extra)
            #expect(r.status == 2 && r.stdout.isEmpty, "\(extra)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("--importance") && r.stderr.contains(culprit), "\(r.stderr)")
        }
        let missing = try runSweep(["leaderboard", "--db", dir + "/none.db", "--importance"])
        #expect(missing.status == 2 && missing.stderr.split(separator: "\n").count == 1 && missing.stderr.contains("none.db"))
    }
}
