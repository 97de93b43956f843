import Testing
import SweepConfig
import SweepStore
@testable import SweepReport
import SweepTrain

/// The page built from records, without a store or a browser.
@Suite struct HTMLReportTests {
    static let sweep = SweepRecord(id: 1, name: "random", spec: "", metric: "test_accuracy", maximize: true, createdAt: 0)

    /// `count` tasks, each its own learning rate and optimizer; task k ends with accuracy k/100.
    static func data(count: Int) throws -> ReportData {
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

    @Test func scatterPlotsKeepTheBestTasksOfAHugeSweep() throws {
        var report = HTMLReport(data: try Self.data(count: 30))
        report.scatterPoints = 5
        let html = report.render(generated: "now")
        #expect(html.contains("the best 5 of 30 finished tasks"))
        #expect(html.components(separatedBy: "<circle class=\"point\"").count - 1 == 10)
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
