import Testing
import SweepInsights
import SweepConfig
import SweepStore
@testable import SweepReport
import SweepSearch
import SweepTrain

/// The page built from records, without a store or a browser.
@Suite struct HTMLReportTests {
    static let sweep = SweepRecord(id: 1, name: "random", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)

    /// `count` tasks, each its own learning rate and optimizer; task k ends with accuracy k/100.
    static func data(count: Int, spec: String = "") throws -> ReportData {
        let sweep = SweepRecord(id: 1, name: "random", spec: spec, metric: "test_accuracy", maximize: true, createdAt: 0)
        let tasks = (0..<count).map { k in
            TaskRecord(sweepID: 1, taskID: "t\(k)", index: k,
                       params: #"{"optimizer":"\#(["sgd", "adam"][k % 2])","learning_rate":\#(0.001 * Double(k + 1))}"#,
                       status: .completed, metrics: #"{"epoch":2,"test_accuracy":\#(Double(k) / 100)}"#, wallSeconds: 1)
        }
        let board = try Leaderboard(sweep: sweep, tasks: tasks)
        let runs = board.rows.map { row in
            let k = Double(row.task.index)
            return ReportRun(row: row, epochs: [["epoch": 1, "test_accuracy": k / 200], ["epoch": 2, "test_accuracy": k / 100]],
                             insights: nil)
        }
        return ReportData(sweep: sweep, board: board, runs: runs)
    }

    /// Random search: every task its own setting. The curves show the best ten in one
    /// chart a metric; the continuous parameter gets no by-parameter chart, the categorical one does.
    @Test func tooManySettingsShowTheBestTen() throws {
        let html = HTMLReport(data: try Self.data(count: 30)).render(generated: "now")
        #expect(html.contains("the best 10 of 30 settings"))
        let curves = html.components(separatedBy: "<svg class=\"chart\" id=\"curve-").dropFirst()
        #expect(curves.count == 1)
        let first = try #require(curves.first).components(separatedBy: "</svg>")[0]
        #expect(first.components(separatedBy: "<g class=\"series\"").count - 1 == 10)
        #expect(first.contains("data-label=\"optimizer=adam, learning_rate=0.03\""))   // the best task, t29
        #expect(!first.contains("learning_rate=0.02\""))                                  // t19: 11th best
        #expect(html.contains("id=\"by-0\""))    // optimizer
        #expect(!html.contains("id=\"by-1\""))   // learning_rate: 30 values
        // every task is a dot against each parameter
        #expect(html.components(separatedBy: "<circle class=\"point\"").count - 1 == 60)
    }

    /// One line per finished task through an axis per parameter and the metric's; each line
    /// ends at its task's metric on the last axis (the best at the top), and the best is drawn last.
    @Test func parallelCoordinatesDrawEveryTaskThroughEveryAxis() throws {
        let html = HTMLReport(data: try Self.data(count: 12)).render(generated: "now")
        let chart = try #require(html.components(separatedBy: "data-kind=\"parallel\"").dropFirst().first?.components(separatedBy: "</svg>").first)
        #expect(chart.contains("data-series=\"12\" data-axes=\"3\""))
        let lines = chart.components(separatedBy: "<polyline class=\"task\" points=\"").dropFirst().map { piece in
            (points: piece.prefix { $0 != "\"" }.split(separator: " ").map { $0.split(separator: ",").compactMap { Double($0) } },
             label: piece.components(separatedBy: "<title>").dropFirst().first?.components(separatedBy: "</title>").first ?? "")
        }
        #expect(lines.count == 12 && lines.allSatisfy { $0.points.count == 3 && $0.points.allSatisfy { $0.count == 2 } })
        // drawn worst first: the last line is t11 (accuracy 0.11), at the top of the metric's axis (smallest y)
        let last = try #require(lines.last)
        #expect(last.label.hasPrefix("t11: ") && last.label.hasSuffix("→ 0.11"), "\(last.label)")
        let ys = lines.map { $0.points[2][1] }
        #expect(ys.last == ys.min() && ys.first == ys.max(), "the metric's axis: best on top, worst at the bottom")
        // learning_rate 0.001…0.012 spans 12×: a log axis
        #expect(chart.contains("(log)"))
        // one axis per parameter, then the metric
        #expect(chart.components(separatedBy: "<line class=\"axis\"").count - 1 == 3)
    }

    @Test func scatterPlotsKeepTheBestTasksOfAHugeSweep() throws {
        var report = HTMLReport(data: try Self.data(count: 30))
        report.scatterPoints = 5
        let html = report.render(generated: "now")
        #expect(html.contains("the best 5 of 30 finished tasks"))
        #expect(html.components(separatedBy: "<circle class=\"point\"").count - 1 == 10)
    }

    /// After the scatter plots, one bar per parameter, most important first: here the learning
    /// rate, which orders the tasks, not the optimizer, which alternates; a note with too few tasks.
    @Test func importanceBarsFollowTheScatterPlots() throws {
        let spec = """
            method: random
            run_cap: 30
            parameters:
              optimizer: {values: [sgd, adam]}
              learning_rate: {distribution: log_uniform_values, min: 0.001, max: 0.1}
            """
        let data = try Self.data(count: 30, spec: spec)
        let html = HTMLReport(data: data).render(generated: "now")
        let sections = html.components(separatedBy: "<section id=\"")
        let ids = sections.dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(ids.firstIndex(of: "importance") == ids.firstIndex(of: "parameters")! + 1, "\(ids)")
        let section = try #require(sections.first { $0.hasPrefix("importance\"") })
        #expect(section.contains("data-kind=\"bar\"") && section.contains("data-series=\"2\"") && section.contains("30 completed tasks"))
        let bars = section.components(separatedBy: "<g class=\"bar\" data-label=\"").dropFirst()
        let labels = bars.map { String($0.prefix { $0 != "\"" }) }
        #expect(labels == SweepImportance(board: data.board).importances.map(\.parameter))
        #expect(labels == ["learning_rate", "optimizer"])

        let one = HTMLReport(data: try Self.data(count: 1, spec: spec)).render(generated: "now")
        #expect(one.contains("<p class=\"note\">Parameter importance needs at least 2 completed tasks with a value of test_accuracy; sweep &#39;random&#39; has 1.</p>"))
        #expect(!one.contains("data-kind=\"bar\""))
    }

    @Test func textIsEscaped() throws {
        let sweep = SweepRecord(id: 1, name: "<b>&\"x\"", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)
        let board = try Leaderboard(sweep: sweep, tasks: [])
        let html = HTMLReport(data: ReportData(sweep: sweep, board: board, runs: [])).render(generated: "now")
        #expect(html.contains("&lt;b&gt;&amp;&quot;x&quot;") && !html.contains("<b>&"))
        #expect(html.contains("No task has recorded epochs yet."))
    }
}

@Suite struct ActivationSummaryTests {
    static func run(_ id: String, index: Int, params: String, relu: (Double, Double, Double), architecture: String = "conv") throws -> ReportRun {
        let task = TaskRecord(sweepID: 1, taskID: id, index: index, params: params, status: .completed, metrics: #"{"test_accuracy":0.5}"#)
        let board = try Leaderboard(sweep: HTMLReportTests.sweep, tasks: [task])
        let layers = [
            LayerActivations(layer: "net.0", kind: architecture, shape: [4], stage: .beforeNonlinearity,
                             statistics: ValueStatistics(mean: 9, std: 9, zeroFraction: 0, count: 8)),
            LayerActivations(layer: "net.1", kind: "relu", shape: [4], stage: .afterNonlinearity,
                             statistics: ValueStatistics(mean: relu.0, std: relu.1, zeroFraction: relu.2, count: 8)),
        ]
        return ReportRun(row: board.rows[0], epochs: [], insights: RunInsights(steps: StepLosses(every: 1, stepsPerEpoch: 1), activations: layers))
    }

    /// Seeds of a setting average into one row; other architectures get their own table.
    @Test func seedsAverageIntoOneRowPerSettingAndArchitecture() throws {
        let runs = [
            try Self.run("a", index: 0, params: #"{"optimizer":"adam","seed":1}"#, relu: (0.1, 0.2, 0.5)),
            try Self.run("b", index: 1, params: #"{"optimizer":"sgd","seed":1}"#, relu: (0.4, 0.4, 0.1)),
            try Self.run("c", index: 2, params: #"{"optimizer":"adam","seed":2}"#, relu: (0.3, 0.4, 0.3)),
            try Self.run("d", index: 3, params: #"{"optimizer":"adam","seed":3}"#, relu: (0, 0, 0), architecture: "dense"),
        ]
        let summaries = ActivationSummary.make(runs, settingParams: ["optimizer"])
        #expect(summaries.count == 2)
        #expect(summaries[0].columns.map(\.layer) == ["net.1"])   // only what follows a nonlinearity
        #expect(summaries[0].rows.map(\.setting) == ["optimizer=adam", "optimizer=sgd"])
        #expect(summaries[0].rows.map(\.runs) == [2, 1])
        let adam = try #require(summaries[0].rows[0].cells[0])
        #expect(abs(adam.mean - 0.2) < 1e-12 && abs(adam.std - 0.3) < 1e-12 && abs(adam.zeros - 0.4) < 1e-12)
        #expect(summaries[1].rows.map(\.setting) == ["optimizer=adam"] && summaries[1].rows[0].runs == 1)
    }
}

/// LSTM and GRU runs record their gates with a saturation; the tables show it where it applies.
@Suite struct GateSaturationReportTests {
    static func layer(_ name: String, _ kind: String, saturation: Double? = nil) -> LayerActivations {
        LayerActivations(layer: name, kind: kind, shape: [4, 8], stage: name == "fc" ? .other : .afterNonlinearity,
                         statistics: ValueStatistics(mean: 0.5, std: 0.25, zeroFraction: 0.125, count: 64, saturation: saturation))
    }

    /// The LSTM task's table gains a "saturated" column, filled on its gate rows only, and the
    /// summary shows a gate's saturation where other layers show zeros; the RNN task (no gates,
    /// like insights recorded before gates were) keeps the table it had.
    @Test func gateRowsShowTheirSaturation() throws {
        let tasks = [("lstm", 0.9), ("rnn", 0.5)].enumerated().map { k, t in
            TaskRecord(sweepID: 1, taskID: t.0, index: k, params: #"{"cell":"\#(t.0)"}"#, status: .completed,
                       metrics: #"{"epoch":1,"test_accuracy":\#(t.1)}"#, wallSeconds: 1)
        }
        let board = try Leaderboard(sweep: HTMLReportTests.sweep, tasks: tasks)
        let layers = [
            "lstm": [Self.layer("rnn.l0", "lstm"), Self.layer("rnn.l0.forget_gate", "sigmoid", saturation: 0.375),
                     Self.layer("rnn.l0.cell_gate", "tanh", saturation: 0.05), Self.layer("fc", "dense")],
            "rnn": [Self.layer("rnn.l0", "rnn"), Self.layer("fc", "dense")],
        ]
        let runs = board.rows.map { row in
            ReportRun(row: row, epochs: [["epoch": 1, "test_accuracy": row.value ?? 0]],
                      insights: RunInsights(steps: StepLosses(every: 1, stepsPerEpoch: 1), activations: layers[row.task.taskID]!))
        }
        let data = ReportData(sweep: HTMLReportTests.sweep, board: board, runs: runs)

        let summaries = ActivationSummary.make(data.runs, settingParams: ["cell"])
        #expect(summaries.count == 2)
        #expect(summaries[0].columns.map(\.layer) == ["rnn.l0", "rnn.l0.forget_gate", "rnn.l0.cell_gate"])
        #expect(summaries[0].columns.map(\.saturation) == [false, true, true])
        #expect(summaries[0].rows[0].cells.map { $0?.saturation } == [nil, 0.375, 0.05])
        #expect(summaries[1].columns.map(\.saturation) == [false])

        let html = HTMLReport(data: data).render(generated: "now")
        func table(_ start: String) throws -> String {
            let after = try #require(html.components(separatedBy: start).dropFirst().first)
            return after.components(separatedBy: "</table>")[0]
        }
        func row(_ table: String, _ layer: String) throws -> String {
            let after = try #require(table.components(separatedBy: "<td><code>\(layer)</code></td>").dropFirst().first)
            return after.components(separatedBy: "</tr>")[0]
        }
        let lstm = try table("<table class=\"activations\" data-task=\"lstm\">")
        #expect(lstm.contains("<th class=\"num\">zeros</th><th class=\"num\">saturated</th></tr>"))
        #expect(try row(lstm, "rnn.l0.forget_gate").hasSuffix("<td class=\"num\">12.5%</td><td class=\"num saturation\">37.5%</td>"))
        #expect(try row(lstm, "rnn.l0.cell_gate").hasSuffix("<td class=\"num saturation\">5.0%</td>"))
        #expect(try row(lstm, "rnn.l0").hasSuffix("<td class=\"num\">12.5%</td><td class=\"num saturation\"></td>"))
        #expect(try row(lstm, "fc").hasSuffix("<td class=\"num saturation\"></td>"))
        let rnn = try table("<table class=\"activations\" data-task=\"rnn\">")
        #expect(!rnn.contains("saturat"))
        #expect(try row(rnn, "rnn.l0").hasSuffix("<td class=\"num\">12.5%</td>"))

        // the summary: zeros under the hidden state, saturated under each gate
        let summary = try table("<table class=\"activation-summary\" data-architecture=\"0\">")
        #expect(summary.contains("<th class=\"num\">zeros</th><th class=\"num\">mean</th><th class=\"num\">std</th><th class=\"num\">saturated</th>"))
        #expect(summary.components(separatedBy: ">saturated</th>").count - 1 == 2)
        #expect(summary.contains("<td class=\"num\">37.5%</td>") && summary.contains("<td class=\"num\">5.0%</td>"))
        #expect(!(try table("<table class=\"activation-summary\" data-architecture=\"1\">")).contains("saturat"))
    }
}

/// `method: pbt`'s lineage section: an arrow per exploit between the right rows, the table
/// of decisions, nothing without entries.
@Suite struct LineageChartTests {
    @Test func anArrowPerExploitFromTheSourceToTheMember() {
        let entries = [
            LineageEntry(memberID: "b", epoch: 2, sourceID: "a", score: 0.4, sourceScore: 0.7,
                         changes: [ParameterChange(key: "learning_rate", old: 0.1, copied: 0.01, new: 0.012, how: .perturb, factor: 1.2)],
                         config: "{}"),
            LineageEntry(memberID: "c", epoch: 2, sourceID: "a", score: 0.3, sourceScore: 0.7,
                         changes: [ParameterChange(key: "momentum", old: 0.5, copied: 0.9, new: 0.61, how: .resample)], config: "{}"),
        ]
        let html = LineageChart.section(entries: entries, members: ["a", "b", "c"], epochs: 4, metric: "test_accuracy")
        #expect(html.components(separatedBy: "<g class=\"exploit\">").count - 1 == 2)
        #expect(html.contains("b copied a at epoch 2: learning_rate 0.01 → 0.012 (×1.2)"))
        #expect(html.contains("momentum 0.9 → 0.61 (drawn anew)"))
        // both arrows leave row a (y 43) at epoch 2 (x 435 of 140…730 for epochs 0…4), side by
        // side; they end at b's row (69) and c's (95), less the arrowhead
        #expect(html.contains("x1=\"435.0\" y1=\"43.0\" x2=\"435.0\" y2=\"65.0\""), "\(html)")
        #expect(html.contains("x1=\"442.0\" y1=\"43.0\" x2=\"442.0\" y2=\"91.0\""), "\(html)")
        #expect(html.components(separatedBy: "<tr><td>").count - 1 == 2, "one table row per decision")
        #expect(LineageChart.section(entries: [], members: ["a"], epochs: 4, metric: "test_accuracy").isEmpty)
    }
}
